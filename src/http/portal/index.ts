export { createWebPages, webClient, type WebPages, type WebPagesDeps } from './web-pages.js';
export { dispatchInProcess, type RequestListener } from './in-process.js';
