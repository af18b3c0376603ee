// Worker-pool task for /readyz: proves a worker thread takes a task and answers. It does nothing else.
export default function poolPing(): string {
  return 'pong';
}
