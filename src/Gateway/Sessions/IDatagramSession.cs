using System.Net;

namespace Gateway.Sessions;

/// <summary>A UDP listener's session for one remote endpoint: plain, or a relay.</summary>
internal interface IDatagramSession
{
    IPEndPoint RemoteEndPoint { get; }

    /// <summary>A datagram the listener received from <see cref="RemoteEndPoint"/>.</summary>
    void OnDatagram(ReadOnlySpan<byte> datagram);
}
