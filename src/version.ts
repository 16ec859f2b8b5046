// The version logdriver reports (`--version`, the admin API's /v1/status); kept equal to package.json's.
export const VERSION = '0.1.0';
