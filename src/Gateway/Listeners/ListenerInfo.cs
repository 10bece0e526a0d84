using Gateway.Framing;

namespace Gateway.Listeners;

/// <summary>A listener as the API and the hub show it.</summary>
/// <param name="Id">Stable id, used in routes and watch scopes (the listener's name).</param>
/// <param name="Name">The listener's name.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>unix</c>.</param>
/// <param name="Address">Bound IP address (tcp, udp).</param>
/// <param name="Port">Bound port: the real one when 0 was asked (tcp, udp).</param>
/// <param name="Path">Socket file (unix).</param>
/// <param name="State"><c>listening</c>, <c>stopped</c> or <c>failed</c>.</param>
/// <param name="Sessions">Sessions open now.</param>
/// <param name="SessionsTotal">Sessions accepted since start.</param>
/// <param name="BytesIn">Bytes received from peers.</param>
/// <param name="BytesOut">Bytes sent to peers.</param>
/// <param name="Framing">How accepted streams are cut into messages.</param>
/// <param name="Tls">The certificate when the listener terminates TLS.</param>
/// <param name="Upstream">For a relay listener, the server each client is forwarded to.</param>
/// <param name="Error">Why the listener failed, when it did.</param>
/// <param name="Capture">What the capture store keeps of its sessions: <c>full</c>, <c>metadata</c> or <c>off</c>.</param>
/// <param name="CaptureOverflow">When the capture writer is behind: <c>drop</c> or <c>backpressure</c>.</param>
/// <param name="Refused">Connections (or new UDP peers) refused since start because a session limit was reached.</param>
/// <param name="IdleTimeoutSeconds">Sessions idle this long are closed; null: never.</param>
/// <param name="FramingSpec">The framing with its fields (delimiter bytes, length field), when not raw.</param>
/// <param name="Decoder">The decoder the API reads its messages with (one of GET /api/decoders); null when none.</param>
/// <param name="DecodeAs">tshark's Decode As rule for decoder <c>wireshark</c>.</param>
/// <param name="HasLayout">Whether it carries a Kaitai Struct layout (GET /api/listeners/{id}/layout).</param>
/// <param name="Node">The cluster node whose socket this is; null for a gateway on its own.</param>
/// <param name="Nodes">In a cluster, every node's socket for it (<c>GET /api/listeners</c>); null otherwise.</param>
public sealed record ListenerInfo(
    string Id,
    string Name,
    ListenerProtocol Protocol,
    string? Address,
    int Port,
    string? Path,
    ListenerState State,
    int Sessions,
    long SessionsTotal,
    long BytesIn,
    long BytesOut,
    FramingMode Framing,
    ListenerTlsInfo? Tls,
    string? Upstream,
    string? Error,
    Capture.CaptureMode Capture,
    Capture.CaptureOverflow CaptureOverflow,
    long Refused,
    double? IdleTimeoutSeconds,
    FramingSpec? FramingSpec = null,
    string? Decoder = null,
    string? DecodeAs = null,
    bool HasLayout = false,
    string? Node = null,
    IReadOnlyList<Cluster.ListenerBinding>? Nodes = null);

/// <summary>The certificate a TLS listener presents.</summary>
/// <param name="SelfSigned">Made by the gateway at start.</param>
/// <param name="Fingerprint">SHA-256 of the certificate, <c>AB:CD:…</c> (pin this in clients); with <paramref name="Ca"/>, of the gateway CA.</param>
/// <param name="Subject">The certificate's subject; with <paramref name="Ca"/>, the CA's.</param>
/// <param name="NotAfter">When it expires.</param>
/// <param name="Ca">Certificates are minted per name the client asks for (SNI), signed by the gateway CA (<c>GET /api/tls/ca.pem</c>).</param>
public sealed record ListenerTlsInfo(bool SelfSigned, string Fingerprint, string Subject, DateTimeOffset NotAfter, bool Ca = false);
