using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Framing;
using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Connections;

/// <summary>
/// Opens outbound sessions (the gateway as client). Refusals are <see cref="CommandException"/>s:
/// 400 bad request, 502 refused/unreachable/handshake failed, 504 no answer in time.
/// </summary>
internal sealed partial class OutboundConnector(DataPlane plane, OutboundSessions owner, ILogger<OutboundConnector> logger)
{
    public async Task<Session> ConnectAsync(ConnectRequest request, string actor, CancellationToken cancellationToken)
    {
        var protocol = ParseProtocol(request.Protocol);
        if (!FramingModes.TryParse(request.Framing, out var framing))
        {
            throw CommandException.BadInput($"framing '{request.Framing}' is not a framing ({FramingModes.Names}).");
        }

        if (protocol == ListenerProtocol.Udp && (framing != FramingMode.Raw || request.Tls is not null))
        {
            throw CommandException.BadInput("udp connections are raw datagrams: no framing, no TLS.");
        }

        var timeout = TimeSpan.FromSeconds(request.TimeoutSeconds ?? plane.Options.Outbound.ConnectTimeoutSeconds);
        if (timeout <= TimeSpan.Zero)
        {
            throw CommandException.BadInput("timeoutSeconds must be greater than 0.");
        }

        var target = Target(protocol, request);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = await OpenSocketAsync(protocol, request, target, timeout, deadline.Token).ConfigureAwait(false);
        try
        {
            Stream? stream = null;
            if (request.Tls is { } tls)
            {
                stream = await HandshakeAsync(socket, tls, request.Host ?? "localhost", target, timeout, deadline.Token).ConfigureAwait(false);
            }

            var shape = new SessionShape(protocol, SessionKind.Outbound,
                Remote: protocol == ListenerProtocol.Unix ? request.Path! : EndpointText.Format(socket.RemoteEndPoint),
                Local: protocol == ListenerProtocol.Unix ? $"unix:pid={Environment.ProcessId}" : EndpointText.Format(socket.LocalEndPoint),
                framing, Tls: stream is not null);
            Session session;
            if (protocol == ListenerProtocol.Udp)
            {
                var udp = new ConnectedUdpSession(plane, owner, socket, shape);
                udp.Start();
                _ = udp.RunAsync();
                session = udp;
            }
            else
            {
                var streamSession = new StreamSession(plane, owner, socket, shape, stream ?? new NetworkStream(socket, ownsSocket: false));
                streamSession.Start();
                _ = streamSession.RunAsync();
                session = streamSession;
            }

            Connected(logger, actor, session.Id, target);
            return session;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static ListenerProtocol ParseProtocol(string? protocol)
    {
        if (string.IsNullOrWhiteSpace(protocol))
        {
            return ListenerProtocol.Tcp;
        }

        return ListenerProtocols.TryParse(protocol, out var parsed)
            ? parsed
            : throw CommandException.BadInput(ListenerRules.DescribeUnsupported("protocol", protocol));
    }

    private static string Target(ListenerProtocol protocol, ConnectRequest request)
    {
        if (protocol == ListenerProtocol.Unix)
        {
            return string.IsNullOrWhiteSpace(request.Path)
                ? throw CommandException.BadInput("path is required for a unix connection (the socket file to connect to).")
                : $"unix {request.Path}";
        }

        if (string.IsNullOrWhiteSpace(request.Host))
        {
            throw CommandException.BadInput($"host is required for a {protocol.ToString().ToLowerInvariant()} connection.");
        }

        if (request.Port is not (>= 1 and <= 65535))
        {
            throw CommandException.BadInput($"port must be between 1 and 65535 (was {request.Port?.ToString() ?? "missing"}).");
        }

        var host = IPAddress.TryParse(request.Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : request.Host;
        return $"{protocol.ToString().ToLowerInvariant()} {host}:{request.Port}";
    }

    private static async Task<Socket> OpenSocketAsync(
        ListenerProtocol protocol, ConnectRequest request, string target, TimeSpan timeout, CancellationToken deadline)
    {
        Socket socket;
        try
        {
            if (protocol == ListenerProtocol.Unix)
            {
                if (!File.Exists(request.Path))
                {
                    throw new CommandException(StatusCodes.Status502BadGateway, "Cannot connect",
                        $"Cannot connect to {target}: there is no socket file at that path.");
                }

                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await ConnectOrDisposeAsync(socket, s => s.ConnectAsync(new UnixDomainSocketEndPoint(request.Path!), deadline)).ConfigureAwait(false);
                return socket;
            }

            var addresses = IPAddress.TryParse(request.Host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(request.Host!, deadline).ConfigureAwait(false);
            var type = protocol == ListenerProtocol.Udp ? SocketType.Dgram : SocketType.Stream;
            var proto = protocol == ListenerProtocol.Udp ? ProtocolType.Udp : ProtocolType.Tcp;
            socket = new Socket(type, proto); // dual-mode IPv6: reaches IPv4 and IPv6 addresses alike
            await ConnectOrDisposeAsync(socket, s => s.ConnectAsync(addresses, request.Port!.Value, deadline)).ConfigureAwait(false);
            if (protocol == ListenerProtocol.Tcp)
            {
                socket.NoDelay = true;
            }

            return socket;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new CommandException(StatusCodes.Status504GatewayTimeout, "Timed out",
                $"No answer from {target} within {timeout.TotalSeconds:0.###} s.");
        }
        catch (SocketException ex)
        {
            throw new CommandException(StatusCodes.Status502BadGateway, "Cannot connect", $"Cannot connect to {target}: {ex.Message}.");
        }
    }

    private static async Task ConnectOrDisposeAsync(Socket socket, Func<Socket, ValueTask> connect)
    {
        try
        {
            await connect(socket).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Stream> HandshakeAsync(
        Socket socket, ConnectTls tls, string host, string target, TimeSpan timeout, CancellationToken deadline)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = tls.ServerName ?? host,
                RemoteCertificateValidationCallback = tls.AllowUntrusted ? (_, _, _, _) => true : null,
            }, deadline).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && deadline.IsCancellationRequested)
            {
                throw new CommandException(StatusCodes.Status504GatewayTimeout, "Timed out",
                    $"The TLS handshake with {target} did not finish within {timeout.TotalSeconds:0.###} s.");
            }

            throw new CommandException(StatusCodes.Status502BadGateway, "TLS handshake failed",
                $"The TLS handshake with {target} failed: {(ex.InnerException ?? ex).Message}");
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "{Actor} opened outbound session {SessionId} to {Target}")]
    private static partial void Connected(ILogger logger, string actor, long sessionId, string target);
}
