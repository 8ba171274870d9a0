export declare class ApiClient {
    readonly base: string;
    private cookie;
    constructor(base: string);
    request<T = unknown>(method: string, path: string, body?: unknown): Promise<{
        status: number;
        body: T;
    }>;
    get: <T = unknown>(path: string) => Promise<{
        status: number;
        body: T;
    }>;
    post: <T = unknown>(path: string, body?: unknown) => Promise<{
        status: number;
        body: T;
    }>;
    put: <T = unknown>(path: string, body?: unknown) => Promise<{
        status: number;
        body: T;
    }>;
    login(username: string, password: string): Promise<void>;
    upload<T = unknown>(file: string, name?: string): Promise<{
        status: number;
        body: T;
    }>;
}
