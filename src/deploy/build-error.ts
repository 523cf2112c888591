// A build or image delivery that failed, named as Kamal's error class.
import { BerthError } from "../util/errors.js";

export class BuildError extends BerthError {
  constructor(message: string) {
    super(message, "Kamal::Cli::Build::BuildError");
  }
}
