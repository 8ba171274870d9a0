import type { FastifyInstance } from 'fastify';
import { ApiClient } from './http.js';
export interface TestServer {
    app: FastifyInstance;
    base: string;
    mqttPort: number;
    mqttUrl: string;
    dataDir: string;
    admin: ApiClient;
    close(): Promise<void>;
}
export declare function startServer(env?: Record<string, string>): Promise<TestServer>;
