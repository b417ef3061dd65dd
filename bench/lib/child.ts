// A benchmark process driven over IPC: the parent calls named commands and awaits the
// answer; the child registers the commands it serves.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Child {
  process: ChildProcess;
  /** Whatever the child sent first (`ready(info)`), e.g. the port it listens on. */
  info: Record<string, unknown>;
  call<T = unknown>(cmd: string, args?: object): Promise<T>;
  /** Asks the child to exit, and kills it if it has not within 5 s. */
  stop(): Promise<void>;
}

export async function startChild(script: string, args: string[] = [], options: { execArgv?: string[]; env?: Record<string, string> } = {}): Promise<Child> {
  const child = fork(script, args, {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const exited = once(child, 'exit');
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    child.on('message', (message: { ready?: Record<string, unknown>; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) return resolve(message.ready);
      const call = pending.get(message.id!);
      pending.delete(message.id!);
      if (message.error !== undefined) call?.reject(new Error(message.error));
      else call?.resolve(message.result);
    });
  });
  child.once('exit', () => {
    for (const call of pending.values()) call.reject(new Error(`${script} exited`));
    pending.clear();
  });
  return {
    process: child,
    info,
    call<T>(cmd: string, args: object = {}) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, cmd, ...args });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ id: -1, cmd: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command declares the arguments it takes
type Handler = (args: any) => unknown;

/** Child side: answers the parent's commands; `exit` is built in. */
export function serveCommands(handlers: Record<string, Handler>, ready: Record<string, unknown>): void {
  process.on('message', (message: { id: number; cmd: string } & Record<string, unknown>) => {
    if (message.cmd === 'exit') process.exit(0);
    Promise.resolve()
      .then(() => handlers[message.cmd]!(message))
      .then(
        (result) => process.send!({ id: message.id, result }),
        (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.send!({ ready });
}
