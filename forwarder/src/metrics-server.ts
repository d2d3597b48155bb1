// Optional Prometheus endpoint: GET /metrics on metrics_host:metrics_port.

import { type Server, createServer } from 'node:http';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const HTTP_OK = 200;
const HTTP_NOT_FOUND = 404;

export function startMetricsServer(host: string, port: number, render: () => string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics') {
      response.writeHead(HTTP_OK, { 'content-type': CONTENT_TYPE });
      response.end(render());
      return;
    }
    response.writeHead(HTTP_NOT_FOUND, { 'content-type': 'text/plain' });
    response.end('not found; try GET /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}
