import Foundation
import Testing

@testable import Musika

@Suite("Controls: one type for flags, control lines and the HTTP API")
struct ControlsTests {
  @Test func linesParseAndBadLinesNameTheProblem() throws {
    #expect(try Controls(line: "seed 7") == Controls(seed: 7))
    #expect(try Controls(line: "tempo  128.5") == Controls(tempo: 128.5))
    #expect(try Controls(line: "truncation 1.5") == Controls(truncation: 1.5))
    #expect(try Controls(line: "density 3") == Controls(density: 3))
    for (line, message) in [("volume 3", "unknown control 'volume'"), ("seed -1", "seed must be a whole number"),
                            ("tempo fast", "tempo must be a number"), ("tempo", "expected 'seed N'"),
                            ("tempo nan", "tempo must be a number")] {
      #expect { try Controls(line: line) } throws: { "\($0)".contains(message) }
    }
  }

  @Test func mergingKeepsWhatAChangeLeavesOut() {
    let base = Controls(seed: 3, truncation: 1.5, tempo: 120, densityCurve: [[0, 1], [10, 4]])
    #expect(base.merged(with: Controls(tempo: 140)) == Controls(seed: 3, truncation: 1.5, tempo: 140, densityCurve: [[0, 1], [10, 4]]))
    // A density replaces the curve (and the other way round): never both.
    #expect(base.merged(with: Controls(density: 2)) == Controls(seed: 3, truncation: 1.5, tempo: 120, density: 2))
    #expect(base.merged(with: Controls()) == base)
  }

  @Test func resolvingChecksAgainstTheModelAndFillsDefaults() throws {
    let tempoModel = GANModelConfig(name: "t", gan: MicroModels.gan, conditioning: MicroModels.tempo)
    let resolved = try Controls().resolved(for: tempoModel)
    #expect(resolved == GenerationControls(seed: 0, truncation: tempoModel.defaultTruncation, tempo: 120))
    #expect(try Controls(seed: 9, tempo: 150).resolved(for: tempoModel).tempo == 150)
    #expect { try Controls(density: 3).resolved(for: tempoModel) } throws: { "\($0)".contains("not conditioned on note density") }
    #expect { try Controls(truncation: 0).resolved(for: tempoModel) } throws: { "\($0)".contains("truncation must be in") }
    #expect { try Controls(tempo: 5000).resolved(for: tempoModel) } throws: { "\($0)".contains("tempo must be in") }
    #expect(Controls(tempo: 300).tempoWarning(for: tempoModel) != nil)
    #expect(Controls(tempo: 120).tempoWarning(for: tempoModel) == nil)

    let densityModel = GANModelConfig(name: "d", gan: MicroModels.gan, conditioning: MicroModels.both)
    let curve = try Controls(tempo: 120, densityCurve: [[0, 1], [4, 5]]).resolved(for: densityModel)
    #expect(curve.density?.value(at: 2) == 3)
    #expect { try Controls(density: 2, densityCurve: [[0, 1]]).resolved(for: densityModel) } throws: { "\($0)".contains("not both") }
    #expect { try Controls(densityCurve: [[0, 1, 2]]).resolved(for: densityModel) } throws: { "\($0)".contains("[seconds, density] pairs") }
    #expect { try Controls(densityCurve: [[2, 1], [1, 1]]).resolved(for: densityModel) } throws: { "\($0)".contains("must increase") }
  }

  @Test func jsonRoundTrips() throws {
    let controls = Controls(seed: 4, tempo: 130, densityCurve: [[0, 2]])
    let data = try JSONEncoder().encode(controls)
    #expect(try JSONDecoder().decode(Controls.self, from: data) == controls)
  }
}
