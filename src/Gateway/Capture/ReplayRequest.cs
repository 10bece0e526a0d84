namespace Gateway.Capture;

/// <summary>A recorded conversation to play again against a server.</summary>
/// <param name="Host">Target host name or IP address (tcp, udp).</param>
/// <param name="Port">Target port (tcp, udp).</param>
/// <param name="Path">Target socket file (unix).</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>unix</c>; default: the recorded session's.</param>
/// <param name="Direction">Which recorded messages to send: <c>in</c> (what the peer sent; default) or <c>out</c> (what the gateway or upstream sent).</param>
/// <param name="Timing"><c>original</c> (default: the recorded gaps, divided by <paramref name="Speed"/>) or <c>asap</c>.</param>
/// <param name="Speed">With original timing, how much faster than recorded (2 = twice as fast); default 1.</param>
/// <param name="Tls">Wrap the connection in TLS: <c>{serverName, allowUntrusted}</c>.</param>
/// <param name="Framing">Framing of the new connection; default: the recorded session's, so framed messages get their prefixes back.</param>
public sealed record ReplayRequest(
    string? Host,
    int? Port,
    string? Path = null,
    string? Protocol = null,
    string? Direction = null,
    string? Timing = null,
    double? Speed = null,
    Connections.ConnectTls? Tls = null,
    Framing.FramingSpec? Framing = null);
