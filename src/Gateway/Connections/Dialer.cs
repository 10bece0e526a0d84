using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Connections;

/// <summary>Where to connect: a host and port (tcp, udp) or a socket file (unix), optionally in TLS.</summary>
internal sealed record DialTarget(ListenerProtocol Protocol, string? Host, int? Port, string? Path, ConnectTls? Tls)
{
    /// <summary><c>tcp 127.0.0.1:6379</c>, <c>tcp [::1]:80</c> or <c>unix /run/app.sock</c>; throws 400 when incomplete.</summary>
    public string Describe()
    {
        if (Protocol == ListenerProtocol.Unix)
        {
            return string.IsNullOrWhiteSpace(Path)
                ? throw CommandException.BadInput("path is required for a unix connection (the socket file to connect to).")
                : UnixSocketFiles.HasParentSegments(Path) || Path.Contains('\0')
                    ? throw CommandException.BadInput("path may not contain '..' segments or NUL characters.")
                    : $"unix {Path}";
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            throw CommandException.BadInput($"host is required for a {Protocol.ToString().ToLowerInvariant()} connection.");
        }

        if (Port is not (>= 1 and <= 65535))
        {
            throw CommandException.BadInput($"port must be between 1 and 65535 (was {Port?.ToString() ?? "missing"}).");
        }

        var host = IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : Host;
        return $"{Protocol.ToString().ToLowerInvariant()} {host}:{Port}";
    }
}

/// <summary>A connected socket, and its TLS stream when the target asked for TLS (with what validation found wrong, accepted by allowUntrusted).</summary>
internal sealed record DialedConnection(Socket Socket, SslStream? Tls, SslPolicyErrors CertificateErrors = SslPolicyErrors.None)
{
    /// <summary>The server side of the handshake as a session shows it; null without TLS.</summary>
    public Gateway.Tls.UpstreamTlsInfo? TlsInfo => Tls is null ? null : Gateway.Tls.UpstreamTlsInfo.Of(Tls, CertificateErrors);
}

/// <summary>
/// Connects out, for outbound sessions and for relays' upstream legs. Refusals are
/// <see cref="CommandException"/>s: 400 incomplete target, 502 refused/unreachable/handshake failed,
/// 504 no answer in time.
/// </summary>
internal static class Dialer
{
    /// <param name="applicationProtocols">ALPN to offer in TLS (an intercepting relay passes on its client's offer); null: none.</param>
    public static async Task<DialedConnection> DialAsync(DialTarget target, TimeSpan timeout, CancellationToken cancellationToken,
        List<SslApplicationProtocol>? applicationProtocols = null)
    {
        var description = target.Describe();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = await OpenSocketAsync(target, description, timeout, deadline.Token).ConfigureAwait(false);
        if (target.Tls is not { } tls)
        {
            return new DialedConnection(socket, null);
        }

        try
        {
            var (ssl, errors) = await HandshakeAsync(socket, tls, target.Host ?? "localhost", description, timeout, applicationProtocols, deadline.Token).ConfigureAwait(false);
            return new DialedConnection(socket, ssl, errors);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Socket> OpenSocketAsync(DialTarget target, string description, TimeSpan timeout, CancellationToken deadline)
    {
        Socket? socket = null;
        try
        {
            if (target.Protocol == ListenerProtocol.Unix)
            {
                if (!File.Exists(target.Path))
                {
                    throw new CommandException(StatusCodes.Status502BadGateway, "Cannot connect",
                        $"Cannot connect to {description}: there is no socket file at that path.");
                }

                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(target.Path!), deadline).ConfigureAwait(false);
                return socket;
            }

            var addresses = IPAddress.TryParse(target.Host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(target.Host!, deadline).ConfigureAwait(false);
            socket = target.Protocol == ListenerProtocol.Udp
                ? new Socket(SocketType.Dgram, ProtocolType.Udp) // dual-mode IPv6: reaches IPv4 and IPv6 alike
                : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(addresses, target.Port!.Value, deadline).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            socket?.Dispose();
            throw new CommandException(StatusCodes.Status504GatewayTimeout, "Timed out",
                $"No answer from {description} within {timeout.TotalSeconds:0.###} s.");
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            throw new CommandException(StatusCodes.Status502BadGateway, "Cannot connect", $"Cannot connect to {description}: {ex.Message}.");
        }
    }

    /// <summary>The title of the <see cref="CommandException"/> for a server certificate that did not pass validation.</summary>
    public const string CertificateRejected = "Certificate rejected";

    private static async Task<(SslStream Stream, SslPolicyErrors Errors)> HandshakeAsync(
        Socket socket, ConnectTls tls, string host, string description, TimeSpan timeout, List<SslApplicationProtocol>? applicationProtocols, CancellationToken deadline)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var rejected = SslPolicyErrors.None;
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = tls.ServerName ?? host,
                ApplicationProtocols = applicationProtocols is { Count: > 0 } ? applicationProtocols : null,
                ClientCertificates = string.IsNullOrWhiteSpace(tls.ClientCertificatePath) ? null
                    : [Listeners.TlsCertificates.Load(tls.ClientCertificatePath, tls.ClientCertificatePassword)],
                // The system's trust store decides unless anything goes; what it objected to is kept either way.
                RemoteCertificateValidationCallback = (_, _, _, errors) => (rejected = errors) == SslPolicyErrors.None || tls.AllowUntrusted,
            }, deadline).ConfigureAwait(false);
            return (ssl, rejected);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or System.Security.Cryptography.CryptographicException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && deadline.IsCancellationRequested)
            {
                throw new CommandException(StatusCodes.Status504GatewayTimeout, "Timed out",
                    $"The TLS handshake with {description} did not finish within {timeout.TotalSeconds:0.###} s.");
            }

            if (rejected != SslPolicyErrors.None && !tls.AllowUntrusted)
            {
                throw new CommandException(StatusCodes.Status502BadGateway, CertificateRejected,
                    $"The TLS handshake with {description} failed: its certificate was rejected: {rejected} (allowUntrusted: true accepts it).");
            }

            throw new CommandException(StatusCodes.Status502BadGateway, "TLS handshake failed",
                $"The TLS handshake with {description} failed: {(ex.InnerException ?? ex).Message}");
        }
    }
}
