"""Talk obligations (SPEC §6): the engine, waivers, rules, the completion dashboard and "my
talks"."""
