"""Lead analysis: each lead's conversation becomes a validated profile in conversas_analytics_ai.

Entry point: `allpfit.analysis.run.run_analysis`. Analyzers (`llm.LlmAnalyzer`,
`rules.RuleAnalyzer`) share the `analyzer.Analyzer` protocol and return `profile.LeadProfile`.
"""
