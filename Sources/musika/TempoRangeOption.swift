import ArgumentParser
import Audio

/// `--tempo-range LOW-HIGH`: the octave window tempi are folded into. Tempo has an octave ambiguity
/// (a 160 BPM track with a half-time feel reads as 80), so a labeller needs a prior: the default
/// 55–200 suits mixed music; a techno set is better labelled with 100–200, where 80 becomes 160.
struct TempoRangeOption: ParsableArguments {
  @Option(help: ArgumentHelp("Fold estimated tempi by octaves into LOW-HIGH BPM (HIGH at least twice LOW).",
                             valueName: "LOW-HIGH"))
  var tempoRange: String = "55-200"

  func validate() throws { _ = try bounds() }

  func bounds() throws -> (low: Double, high: Double) {
    let parts = tempoRange.split(separator: "-").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let low = parts[0], let high = parts[1], low > 0 else {
      throw ValidationError("--tempo-range must be LOW-HIGH in BPM, e.g. 100-200 (got \"\(tempoRange)\").")
    }
    guard high >= 2 * low else {
      throw ValidationError("--tempo-range \(tempoRange) spans less than an octave, so some tempi cannot be "
        + "folded into it; make HIGH at least twice LOW (e.g. \(Int(low))-\(Int(2 * low))).")
    }
    return (low, high)
  }

  /// `estimator` folding into this range.
  func applied(to estimator: TempoEstimator) throws -> TempoEstimator {
    var estimator = estimator
    (estimator.foldLow, estimator.foldHigh) = try bounds()
    return estimator
  }
}
