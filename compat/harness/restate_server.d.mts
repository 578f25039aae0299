export declare const LOOPBACK: "127.0.0.1";

export interface RestateServerPorts {
  nodeName?: string;
  fabricPort: number;
  ingressPort: number;
  adminPort: number;
  /** Named in the config's first comment line. */
  writer?: string;
  /** Turn on Restate 1.7's flow control (scopes, limit keys, rules): its three experimental-enable-* options. */
  flowControl?: boolean;
}

/** The three options that turn Restate 1.7's flow control on (preview; only on a new cluster). */
export declare const FLOW_CONTROL_OPTIONS: readonly string[];

export declare function findRestateServerBinary(): string;
export declare function restateServerConfig(ports: RestateServerPorts): string;
export declare function prepareRestateServer(dir: string, ports: RestateServerPorts): { bin: string; args: string[]; configFile: string };
export declare function serverEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
export declare function freePorts(n: number): Promise<number[]>;
export declare function registerDeployment(
  adminUrl: string,
  uri: string,
  options?: { force?: boolean; timeoutMs?: number },
): Promise<{ status: number; body: unknown }>;
