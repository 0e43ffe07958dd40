export type { SigilState } from './context.js';
export { loadViews, type Views, type Brand } from './views.js';
export { loadBrand, type Asset, type BrandAssets, type FrontendConfig } from './brand.js';
export { renderErrorPage } from './error-page.js';
export { paths, interactionPath, kubeconfigPath, publicPaths, type PublicPaths } from './paths.js';
