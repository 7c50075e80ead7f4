/** Something the plugin cannot do, said so a user knows what to do next (exit status 2, no stack). */
export class PluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginError';
  }
}
