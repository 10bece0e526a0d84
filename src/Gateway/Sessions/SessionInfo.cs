using Gateway.Framing;
using Gateway.Listeners;

namespace Gateway.Sessions;

/// <summary>A session as the API and the hub show it: a snapshot, taken when asked.</summary>
/// <param name="Id">Session id, unique while the gateway runs.</param>
/// <param name="ListenerId">The listener that accepted it; null for outbound sessions.</param>
/// <param name="Kind"><c>accepted</c> (a peer connected to a listener) or <c>outbound</c> (the gateway connected out).</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>unix</c>.</param>
/// <param name="Framing">How the stream is cut into messages: <c>raw</c>, <c>line</c>, <c>len16</c>, <c>len32</c>.</param>
/// <param name="Tls">When the bytes shown are the decrypted content of TLS: each side's handshake (<c>{client: {sni, alpn, protocol, cipher}, upstream: {subject, issuer, sha256, alpn, protocol, errors}}</c>); null without TLS.</param>
/// <param name="Remote">The peer, as <c>127.0.0.1:54321</c> or <c>[::1]:54321</c>.</param>
/// <param name="Local">The gateway's end.</param>
/// <param name="Upstream">For relay sessions, the server the client's traffic is forwarded to.</param>
/// <param name="State"><c>open</c> or <c>closed</c>.</param>
/// <param name="OpenedAt">UTC time of accept (TCP) or first datagram (UDP).</param>
/// <param name="ClosedAt">UTC time of close, when closed.</param>
/// <param name="CloseReason">Why it closed, e.g. <c>closed by peer</c>, <c>closed by api</c>, <c>idle timeout</c>.</param>
/// <param name="BytesIn">Bytes received from the peer.</param>
/// <param name="BytesOut">Bytes sent to the peer.</param>
/// <param name="MessagesIn">Chunks (TCP) or datagrams (UDP) received.</param>
/// <param name="MessagesOut">Chunks or datagrams sent.</param>
/// <param name="Capture">What the capture store keeps of it: <c>full</c>, <c>metadata</c> or <c>off</c>.</param>
/// <param name="Annotations">What a person marked on it (star, tags, note); null when nothing.</param>
/// <param name="Node">The cluster node that owns it (<c>Gateway:Cluster:NodeId</c>); null for a gateway on its own.</param>
public sealed record SessionInfo(
    long Id,
    string? ListenerId,
    SessionKind Kind,
    ListenerProtocol Protocol,
    FramingMode Framing,
    Tls.SessionTlsInfo? Tls,
    string Remote,
    string Local,
    string? Upstream,
    SessionState State,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    string? CloseReason,
    long BytesIn,
    long BytesOut,
    long MessagesIn,
    long MessagesOut,
    Capture.CaptureMode Capture = Capture.CaptureMode.Full,
    Capture.Annotations? Annotations = null,
    string? Node = null);
