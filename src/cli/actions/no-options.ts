/** The options of a command that has none of its own (the global ones are in the context). */
export type NoOptions = Readonly<Record<string, never>>;
