namespace Gateway.Connections;

/// <summary>An outbound connection to open (the gateway as client: <c>connect</c>).</summary>
/// <param name="Protocol"><c>tcp</c> (default), <c>udp</c> or <c>unix</c>.</param>
/// <param name="Host">Host name or IP address (tcp, udp).</param>
/// <param name="Port">Port (tcp, udp).</param>
/// <param name="Path">Socket file (unix).</param>
/// <param name="Tls">Wrap the connection in TLS (tcp, unix).</param>
/// <param name="Framing"><c>raw</c> (default), <c>line</c>, <c>len16</c>, <c>len32</c>, or a delimiter or length-field object (see listeners).</param>
/// <param name="TimeoutSeconds">How long connecting (and the TLS handshake) may take; default <c>Gateway:Outbound:ConnectTimeoutSeconds</c>.</param>
public sealed record ConnectRequest(
    string? Protocol,
    string? Host,
    int? Port,
    string? Path,
    ConnectTls? Tls,
    Framing.FramingSpec? Framing,
    double? TimeoutSeconds);

/// <summary>TLS for an outbound connection.</summary>
/// <param name="ServerName">Name to send (SNI) and to validate the certificate against; default: the host (for an intercepting relay, the name its client asked for).</param>
/// <param name="AllowUntrusted">Accept any certificate (self-signed, expired, wrong name); otherwise the system's trust store decides.</param>
/// <param name="ClientCertificatePath">A client certificate to present (mutual TLS): PKCS#12, or a PEM with the certificate and its key.</param>
/// <param name="ClientCertificatePassword">Its password, if it has one.</param>
public sealed record ConnectTls(string? ServerName, bool AllowUntrusted, string? ClientCertificatePath = null, string? ClientCertificatePassword = null);
