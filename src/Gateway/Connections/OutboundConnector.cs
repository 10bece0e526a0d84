using System.Net.Security;
using System.Net.Sockets;
using Gateway.Framing;
using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Connections;

/// <summary>Opens outbound sessions (the gateway as client); refusals are <see cref="CommandException"/>s.</summary>
internal sealed class OutboundConnector(DataPlane plane, OutboundSessions owner, ListenerManager listeners, OutboundGuard guard, Security.AuditLog audit)
{
    public async Task<Session> ConnectAsync(ConnectRequest request, Security.Actor actor, CancellationToken cancellationToken)
    {
        var protocol = ParseProtocol(request.Protocol);
        if (!FrameFormat.TryParse(request.Framing, out var framing, out var framingError))
        {
            throw CommandException.BadInput($"framing: {framingError}.");
        }

        if (request.Tls is { ClientCertificatePath: { Length: > 0 } clientCertificate }
            && TlsCertificates.Problem("tls.clientCertificatePath", clientCertificate) is { } clientProblem)
        {
            throw CommandException.BadInput(clientProblem);
        }

        if (protocol == ListenerProtocol.Udp && (!framing.IsRaw || request.Tls is not null))
        {
            throw CommandException.BadInput("udp connections are raw datagrams: no framing, no TLS.");
        }

        var seconds = request.TimeoutSeconds ?? plane.Options.Outbound.ConnectTimeoutSeconds;
        if (!(seconds > 0 && seconds <= ListenerRules.MaxTimeoutSeconds))
        {
            throw CommandException.BadInput($"timeoutSeconds must be greater than 0 and at most {ListenerRules.MaxTimeoutSeconds} (was {seconds}).");
        }

        var timeout = TimeSpan.FromSeconds(seconds);

        var target = new DialTarget(protocol, request.Host, request.Port, request.Path, request.Tls);
        await guard.CheckAsync(target, listeners.Listeners, cancellationToken).ConfigureAwait(false);
        var limit = plane.Options.Limits.MaxSessions;
        if (plane.Sessions.OpenCount >= limit || !plane.Descriptors.TryReserve(OutboundSessions.DescriptorsPerSession))
        {
            plane.Totals.SessionRefused();
            throw CommandException.Conflict(plane.Sessions.OpenCount >= limit
                ? $"The gateway is at its session limit (Gateway:Limits:MaxSessions, {limit}): close a session first."
                : "The gateway's sessions hold all the file descriptors the process may use (RLIMIT_NOFILE): close a session first.");
        }

        DialedConnection dialed;
        try
        {
            dialed = await Dialer.DialAsync(target, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            plane.Descriptors.Release(OutboundSessions.DescriptorsPerSession); // no session was made
            throw;
        }

        var (socket, tls) = (dialed.Socket, dialed.Tls);

        var shape = new SessionShape(protocol, SessionKind.Outbound,
            Remote: protocol == ListenerProtocol.Unix ? request.Path! : EndpointText.Format(socket.RemoteEndPoint),
            Local: protocol == ListenerProtocol.Unix ? $"unix:pid={Environment.ProcessId}" : EndpointText.Format(socket.LocalEndPoint),
            framing, Tls: tls is not null);
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
            var stream = new StreamSession(plane, owner, socket, shape, (Stream?)tls ?? new NetworkStream(socket, ownsSocket: false));
            stream.Start();
            if (dialed.TlsInfo is { } server)
            {
                stream.SetTls(null, server);
            }

            _ = stream.RunAsync();
            session = stream;
        }

        audit.Record(actor, "connection.open", $"session {session.Id}", detail: target.Describe());
        return session;
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

}
