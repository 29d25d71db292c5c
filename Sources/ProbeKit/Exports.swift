// One import for an orchestrator: `import ProbeKit` brings the three libraries' public types
// (targets, options, results, ranking, providers' servers) along with the facade.
@_exported public import Prober
@_exported public import ProviderFetch
@_exported public import Ranking
