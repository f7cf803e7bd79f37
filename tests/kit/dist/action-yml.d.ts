export interface ActionInput {
    description?: string;
    required?: boolean;
    /** As written; YAML scalars other than strings (e.g. `default: true`) are kept as their text. */
    default?: string;
}
export interface ActionYml {
    name?: string;
    description?: string;
    inputs: Record<string, ActionInput>;
    outputs: Record<string, {
        description?: string;
    }>;
    runs: Record<string, string>;
}
/** Parses an action.yml with a YAML parser (not regexes, which break on quoting, folding and comments). */
export declare function parseActionYml(source: string): ActionYml;
export declare function readActionYml(path: string): ActionYml;
/**
 * The value of every input as the runner passes it to a step when the workflow sets none: the default, ''
 * when there is none, and '' for a `${{ ... }}` expression (the runner would expand it; tests have no context).
 */
export declare function runnerDefaults(yml: ActionYml): Record<string, string>;
/** The source with one scalar replaced (e.g. runs.using for a validator that predates node24), comments kept. */
export declare function setInYml(source: string, path: readonly string[], value: string): string;
//# sourceMappingURL=action-yml.d.ts.map