// `probe-serve`: what `probe serve` execs. Everything is in the ProbeServe target.
import ProbeServe

await ServeCommand.start()
