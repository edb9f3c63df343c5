/// Marks a stored tensor of a `Module` as a trainable parameter. Its key in checkpoints is the
/// property name unless `key` says otherwise (for weights whose original names differ).
///
///     final class Linear: Module {
///       @Parameter var weight: Tensor
///       @Parameter(key: "b") var bias: Tensor
///     }
@propertyWrapper
public final class Parameter {
  public var wrappedValue: Tensor
  public let key: String?

  public init(wrappedValue: Tensor, key: String? = nil) {
    self.wrappedValue = wrappedValue
    self.key = key
  }
}

/// An optional parameter (a bias that a configuration may switch off).
@propertyWrapper
public final class OptionalParameter {
  public var wrappedValue: Tensor?
  public let key: String?

  public init(wrappedValue: Tensor?, key: String? = nil) {
    self.wrappedValue = wrappedValue
    self.key = key
  }
}
