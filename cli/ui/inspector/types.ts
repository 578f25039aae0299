/** The admin API shapes the inspector renders (shared with the CLI commands). */
export * from "../../admin_types.js";
