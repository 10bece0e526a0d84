using System.Net.Security;

namespace Gateway.Tls;

/// <summary>A session's TLS, each side as its handshake went: the client's (when the gateway terminated it) and the upstream's (the server the gateway spoke TLS to).</summary>
/// <param name="Client">The handshake with the client; null when the gateway did not terminate the client's TLS (or not yet).</param>
/// <param name="Upstream">The handshake with the server (a relay's upstream, an outbound connection's server); null when none (or not yet).</param>
public sealed record SessionTlsInfo(ClientTlsInfo? Client, UpstreamTlsInfo? Upstream);

/// <param name="Sni">The name the client asked for.</param>
/// <param name="Alpn">The application protocol agreed (e.g. <c>h2</c>); null when none.</param>
/// <param name="Protocol">e.g. <c>Tls13</c>.</param>
/// <param name="Cipher">The cipher suite.</param>
public sealed record ClientTlsInfo(string? Sni, string? Alpn, string Protocol, string Cipher)
{
    internal static ClientTlsInfo Of(SslStream ssl) => new(
        string.IsNullOrEmpty(ssl.TargetHostName) ? null : ssl.TargetHostName, AlpnOf(ssl), ssl.SslProtocol.ToString(), ssl.NegotiatedCipherSuite.ToString());

    internal static string? AlpnOf(SslStream ssl) => ssl.NegotiatedApplicationProtocol.Protocol.IsEmpty ? null : ssl.NegotiatedApplicationProtocol.ToString();
}

/// <param name="Subject">The server certificate's subject.</param>
/// <param name="Issuer">Its issuer.</param>
/// <param name="Sha256">Its SHA-256 fingerprint, <c>AB:CD:…</c>.</param>
/// <param name="Alpn">The application protocol agreed; null when none.</param>
/// <param name="Protocol">e.g. <c>Tls13</c>.</param>
/// <param name="Errors">What validation found wrong with the certificate (accepted because of <c>allowUntrusted</c>); null when nothing.</param>
public sealed record UpstreamTlsInfo(string Subject, string Issuer, string Sha256, string? Alpn, string Protocol, string? Errors)
{
    internal static UpstreamTlsInfo Of(SslStream ssl, SslPolicyErrors errors)
    {
        var certificate = ssl.RemoteCertificate;
        var sha256 = certificate is null ? "" : Listeners.TlsCertificates.Fingerprint(certificate);
        return new UpstreamTlsInfo(certificate?.Subject ?? "", certificate?.Issuer ?? "", sha256, ClientTlsInfo.AlpnOf(ssl), ssl.SslProtocol.ToString(),
            errors == SslPolicyErrors.None ? null : errors.ToString());
    }
}
