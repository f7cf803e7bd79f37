// The MCP server's public surface: build a server for any transport, serve it over HTTP, and its version.

export { type HttpServerHandle, type HttpServerOptions, startHttpServer } from './http.js';
export { type CreateServerOptions, createServer } from './server.js';
export { SERVER_NAME, VERSION } from './version.js';
export { CrawlViews, type PollSettings } from './views.js';
