/// The layers of the original Musika's five networks (its models.py), each paired with our module,
/// in the order its .h5 files list them (Keras's order: by depth in the graph, so DEC's two branches
/// interleave; it is not the order in which models.py creates them). Layers that models.py creates
/// but that reach no output (DEC's 4-frame bottleneck `g` and `g33`) are not part of the model and
/// not in its files.
enum OriginalMusikaLayers {
  /// ENC (`build_encoder`): five 1×1 convolutions with swish, then 1×1 → latent, tanh.
  static let encoder: [KerasLayerSpec] =
    (0..<5).map { KerasLayerSpec(.conv, "layers.\($0).conv", "layer \($0 + 1) (conv 1×1)") }
      + [KerasLayerSpec(.conv, "out", "output (conv 1×1, tanh)")]

  /// DEC (`build_decoder`): the U-Net and its two heads; every layer but the heads has noise.
  static let decoder: [KerasLayerSpec] = {
    func unit(_ name: String, _ conv: KerasLayerSpec.Kind, _ what: String) -> [KerasLayerSpec] {
      [KerasLayerSpec(conv, "\(name).conv", "\(name) (\(what))"), KerasLayerSpec(.noise, "\(name).noise", "\(name) noise")]
    }
    let up = "transposed conv k4 s2"
    let down = "conv k3 s2"
    return unit("g0", .conv, "conv k3") + unit("g1", .conv, down) + unit("g2", .conv, down) + unit("g3", .conv, down)
      + unit("g22", .transposedConv, up)
      + [KerasLayerSpec(.transposedConv, "g11.conv", "g11 (\(up))"), KerasLayerSpec(.transposedConv, "p1.conv", "p1 (\(up))"),
         KerasLayerSpec(.noise, "g11.noise", "g11 noise"), KerasLayerSpec(.noise, "p1.noise", "p1 noise"),
         KerasLayerSpec(.transposedConv, "g00.conv", "g00 (\(up))"), KerasLayerSpec(.transposedConv, "p2.conv", "p2 (\(up))"),
         KerasLayerSpec(.noise, "g00.noise", "g00 noise"), KerasLayerSpec(.noise, "p2.noise", "p2 noise"),
         KerasLayerSpec(.conv, "mag", "magnitude head (conv 1×1)"), KerasLayerSpec(.conv, "phase", "phase head (conv 1×1)")]
  }()

  /// ENC2 (`build_encoder2`): seven convolutions with swish, then `cbottle` (1×1 → vector, tanh).
  static let latentEncoder: [KerasLayerSpec] =
    ["conv k3", "conv k3 s2 valid", "conv k3", "conv k3 s2 valid", "conv k3", "conv k3 valid", "conv 1×1"].enumerated()
      .map { KerasLayerSpec(.conv, "layers.\($0.offset).conv", "layer \($0.offset + 1) (\($0.element))") }
      + [KerasLayerSpec(.conv, "out", "cbottle (conv 1×1, tanh)")]

  /// DEC2 (`build_decoder2`): seven layers with noise and swish, then `cout` (1×1, linear).
  static let latentDecoder: [KerasLayerSpec] =
    [(KerasLayerSpec.Kind.conv, "conv k3"), (.transposedConv, "transposed conv k4 s2"), (.conv, "conv k3"),
     (.transposedConv, "transposed conv k4 s2"), (.conv, "conv k3"), (.transposedConv, "transposed conv k4 s2"),
     (.transposedConv, "transposed conv k4 s2")].enumerated().flatMap { index, layer in
      [KerasLayerSpec(layer.0, "layers.\(index).conv", "layer \(index + 1) (\(layer.1))"),
       KerasLayerSpec(.noise, "layers.\(index).noise", "layer \(index + 1) noise")]
    } + [KerasLayerSpec(.conv, "out", "cout (conv 1×1)")]

  /// The generator (`build_generator`), by the original's layer names: "<n>c" a block's convolution,
  /// "<n>r" its noise, "<n>ai" its AdaIN style, "res<k>c" a stage's residual. The `--small` model's
  /// first stage is "0_small", "1_small", "res1c_small" (1×1 convolutions, no upsampling).
  static func generator(small: Bool) -> [KerasLayerSpec] {
    func block(_ name: String, _ module: String, _ conv: KerasLayerSpec.Kind, _ what: String) -> [KerasLayerSpec] {
      [KerasLayerSpec(conv, "\(module).conv", "\(name)c (\(what))", keras: "\(name)c"),
       KerasLayerSpec(.noise, "\(module).noise", "\(name)r (noise)", keras: "\(name)r"),
       KerasLayerSpec(.conv, "\(module).norm.style", "\(name)ai (AdaIN style)", keras: "\(name)ai")]
    }
    func stage(_ index: Int, first: String, second: String, residual: String, small: Bool) -> [KerasLayerSpec] {
      block(first, "stages.\(index).first", small ? .conv : .transposedConv, small ? "conv 1×1" : "transposed conv k4 s2")
        + block(second, "stages.\(index).second", .conv, small ? "conv 1×1" : "conv k4")
        + [KerasLayerSpec(.conv, "stages.\(index).residual", "\(residual) (residual conv 1×1)", keras: residual)]
    }
    return [KerasLayerSpec(.dense, "stem", "00d (dense)", keras: "00d"),
            KerasLayerSpec(.noise, "stemNoise", "00n (noise)", keras: "00n"),
            KerasLayerSpec(.conv, "stemNorm.style", "00ai (AdaIN style)", keras: "00ai")]
      + (small ? stage(0, first: "0_small", second: "1_small", residual: "res1c_small", small: true)
               : stage(0, first: "0", second: "1", residual: "res1c", small: false))
      + stage(1, first: "2", second: "3", residual: "res2c", small: false)
      + stage(2, first: "4", second: "5", residual: "res3c", small: false)
      + stage(3, first: "6", second: "7", residual: "res4c", small: false)
      + block("8", "last", .transposedConv, "transposed conv k4 s2")
      + [KerasLayerSpec(.conv, "out", "9c (output conv k4)", keras: "9c")]
  }
}
