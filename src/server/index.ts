export { startServer, type RunningServer, type ServerOptions } from './start.js';
export { buildConnectors } from './services.js';
