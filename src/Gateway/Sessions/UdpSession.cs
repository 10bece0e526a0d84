using System.Net;
using Gateway.Listeners;

namespace Gateway.Sessions;

/// <summary>A UDP remote endpoint of a listener. Each datagram is one message; sends are datagrams to the peer.</summary>
internal sealed class UdpSession(DataPlane plane, UdpGatewayListener listener, IPEndPoint remote)
    : Session(plane, listener, new SessionShape(
        ListenerProtocol.Udp, SessionKind.Accepted, EndpointText.Format(remote), EndpointText.Format(listener.LocalEndPoint))),
      IDatagramSession
{
    public IPEndPoint RemoteEndPoint { get; } = remote;

    public void OnDatagram(ReadOnlySpan<byte> datagram) => RecordReceived(datagram);

    protected override async ValueTask SendToPeerAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        await listener.SendToAsync(payload, RemoteEndPoint, cancellationToken).ConfigureAwait(false);

    protected override void CloseTransport(bool abort)
    {
        // The socket belongs to the listener; the session ends when the listener forgets the endpoint.
    }
}
