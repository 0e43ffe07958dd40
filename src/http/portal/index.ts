export { createWebPages, webClient, type WebPages, type WebPagesDeps } from './web-pages.js';
