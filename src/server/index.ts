export { startServer, type RunningServer, type ServerOptions } from './start.js';
export { buildConnectors, elevationService } from './services.js';
