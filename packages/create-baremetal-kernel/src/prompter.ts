/** The questions the create command asks, behind an interface so tests can answer them. */
export interface Choice {
  readonly value: string;
  /** One line, shown under the list for the highlighted choice. */
  readonly description: string;
}

export interface Prompter {
  input(options: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  select(options: { message: string; choices: readonly Choice[]; default?: string | undefined }): Promise<string>;
  /** Any number of the choices (none is an answer too). */
  checkbox(options: { message: string; choices: readonly Choice[] }): Promise<string[]>;
}

/** @inquirer/prompts, imported only when a person is actually asked something. */
export async function inquirerPrompter(): Promise<Prompter> {
  const { checkbox, input, select } = await import('./prompts.js');
  return {
    input: ({ message, default: initial, validate }) =>
      input({ message, ...(initial === undefined ? {} : { default: initial }), ...(validate ? { validate } : {}) }),
    select: ({ message, choices, default: initial }) =>
      select({
        message,
        ...(initial === undefined ? {} : { default: initial }),
        choices: choices.map((choice) => ({ name: choice.value, value: choice.value, description: choice.description })),
      }),
    checkbox: ({ message, choices }) =>
      checkbox({ message, choices: choices.map((choice) => ({ name: choice.value, value: choice.value, description: choice.description })) }),
  };
}
