import Testing

@testable import Musika

@Suite("Benchmarked decoder shapes")
struct DecoderConvShapesTests {
  @Test func stackMatchesTheFullSizeDecoderCost() {
    // Reference §10: DEC2 + DEC cost 52.7 GMAC per 23.78 s stereo chunk = 64 windows × 2 channels.
    let macsPerWindow = DecoderConvShapes.all.reduce(0) { $0 + $1.macs }
    let perChunk = Double(macsPerWindow) * 128
    #expect(Swift.abs(perChunk - 52.7e9) / 52.7e9 < 0.01, "\(perChunk / 1e9) GMAC")
  }

  /// With the phase from the magnitude DEC's phase branch is skipped: 37 % of DEC's multiply-adds.
  @Test func aPhaseFromTheMagnitudeSkipsThePhaseBranch() {
    let macs = { (shapes: [ConvShape]) in Double(shapes.reduce(0) { $0 + $1.macs }) }
    #expect(DecoderConvShapes.run(phaseFrom: .decoder).count == DecoderConvShapes.all.count)
    let skipped = DecoderConvShapes.all.filter { shape in !DecoderConvShapes.run(phaseFrom: .magnitude).contains { $0.name == shape.name } }
    #expect(Set(skipped.map(\.name)) == ["dec.p1 k4s2↑", "dec.p2 k4s2↑", "dec.phase k1"])
    let share = macs(skipped) / macs(DecoderConvShapes.level1)
    #expect(share > 0.36 && share < 0.38, "\(share)")
  }

  @Test func layersChainFromFourVectorsToSixtyFourFrames() {
    let level2 = DecoderConvShapes.level2
    #expect(level2.first!.inputLength == 4 && level2.last!.outputLength == 64)
    for (a, b) in zip(level2, level2.dropFirst()) {
      #expect(a.outputLength == b.inputLength && a.outChannels == b.inChannels, "\(a.name) → \(b.name)")
    }
    let level1 = DecoderConvShapes.level1
    #expect(level1.first!.inChannels == 64 && level1.first!.inputLength == 64)
    #expect(level1.filter { $0.outChannels == 513 }.allSatisfy { $0.outputLength == 64 })
  }
}
