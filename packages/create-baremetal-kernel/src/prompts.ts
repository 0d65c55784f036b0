/**
 * The prompts library, where the bundle finds it: scripts/build.mjs makes this module a file of
 * its own (dist/prompts.js, most of the package's size), which loads only when a person is
 * asked a question.
 */
export { checkbox, input, select } from '@inquirer/prompts';
