"""The integrity file (廉政档案) of each leader (SPEC §6): reads talks, obligations, risks and
rotation; adds the committee's supervision notes."""
