export { ListenerTls, type ListenerTlsConfig } from './listener.js';
