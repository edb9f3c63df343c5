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
