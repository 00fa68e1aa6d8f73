//! Where jiralink keeps its config, data (keys, tokens) and logs. SKELETON: the config helper fills this in.
