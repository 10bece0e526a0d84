using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Connections;
using Gateway.Sessions;

namespace Gateway.Listeners;

/// <summary>
/// Receives datagrams on one socket; each distinct remote endpoint is a <see cref="UdpSession"/> (or, with
/// an upstream, a <see cref="UdpRelaySession"/>), closed after <c>Gateway:Udp:IdleTimeoutSeconds</c>
/// without traffic.
/// </summary>
internal sealed class UdpGatewayListener : GatewayListener
{
    /// <summary>Largest UDP payload over IPv6 jumbo-less paths (65,535 - 8); IPv4 allows 65,507.</summary>
    public const int MaxDatagram = 65_527;

    private readonly ConcurrentDictionary<IPEndPoint, Session> _sessions = new();

    public UdpGatewayListener(DataPlane plane, ListenerOptions options)
        : base(plane, options, ListenerProtocol.Udp)
    {
    }

    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> payload, IPEndPoint remote, CancellationToken cancellationToken) =>
        Socket.SendToAsync(payload, SocketFlags.None, remote, cancellationToken);

    public override void OnSessionClosed(Session session)
    {
        if (session is IDatagramSession datagrams)
        {
            _sessions.TryRemove(KeyValuePair.Create(datagrams.RemoteEndPoint, session));
        }

        base.OnSessionClosed(session);
    }

    protected override Socket CreateSocket(AddressFamily family) => new(family, SocketType.Dgram, ProtocolType.Udp);

    /// <summary>Peers share the listener's socket; a relay peer has its own socket to the upstream.</summary>
    protected override int DescriptorsPerSession => UpstreamTarget is null ? 0 : 1;

    protected override async Task RunAsync(CancellationToken stopping)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        EndPoint any = new IPEndPoint(Address!.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                if (Capture.Backpressured)
                {
                    // One socket for all peers: while the capture writer is behind, none is read.
                    await Plane.Capture.WaitForRoomAsync(stopping).ConfigureAwait(false);
                }

                result = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStopping(ex))
            {
                break;
            }
            catch (SocketException ex)
            {
                // e.g. ICMP port unreachable reported for an earlier send: the socket itself is fine.
                ListenerLog.ReceiveFailed(Logger, Name, ex.SocketErrorCode.ToString());
                continue;
            }

            var remote = (IPEndPoint)result.RemoteEndPoint;
            try
            {
                if (TrySessionFor(remote) is IDatagramSession session)
                {
                    session.OnDatagram(buffer.AsSpan(0, result.ReceivedBytes));
                }
            }
            catch (Exception ex) when (!IsStopping(ex))
            {
                // One peer's datagram must never end the loop that serves every peer: log it, go on.
                ListenerLog.DatagramFailed(Logger, Name, remote.ToString(), ex);
            }
        }
    }

    /// <summary>An address of <paramref name="host"/> this socket can send to (IPv4 needs an IPv4 or dual-mode socket), or null.</summary>
    public async Task<IPEndPoint?> ResolveAsync(string host, int port)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return null; // unknown host
        }

        var family = Socket.AddressFamily;
        var usable = addresses.FirstOrDefault(a => a.AddressFamily == family)
            ?? (Socket.DualMode ? addresses.FirstOrDefault()?.MapToIPv6() : null);
        return usable is null ? null : new IPEndPoint(usable, port);
    }

    /// <summary>
    /// The session of a remote endpoint, made when it is new (by its first datagram, or by a sendto);
    /// null when a session limit refuses a new one (its datagram is dropped).
    /// </summary>
    public Session? TrySessionFor(IPEndPoint remote)
    {
        if (_sessions.TryGetValue(remote, out var session) && session.IsOpen)
        {
            return session;
        }

        if (!Admit())
        {
            return null;
        }

        session = UpstreamTarget is null ? new UdpSession(Plane, this, remote) : new UdpRelaySession(Plane, this, remote, UpstreamTarget, Upstream!);
        _sessions[remote] = session;
        session.Start();
        return session;
    }

}
