// `aliases:` named shortcuts for longer commands.
import { documented, hashOf, str } from "./meta.js";

export const aliasesSchema = documented(
  hashOf(
    documented(str(), {
      title: "Alias",
      description: "The command line the alias runs; extra arguments are appended.",
      examples: ["console: app exec -i --reuse \"bin/rails console\""],
    }),
  ),
  {
    title: "Aliases",
    description:
      "Shortcuts for longer commands: `berth console` then runs `berth app exec -i --reuse \"bin/rails console\"`. Names use lowercase letters, digits, `-` and `_`, and may not shadow a built-in command.",
    section: "alias",
  },
  { id: "aliases" },
);
