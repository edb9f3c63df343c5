/// The version `musika --version` prints and model files record.
public enum MusikaVersion {
  public static let string = "0.1.0"
}
