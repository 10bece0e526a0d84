using Gateway.Configuration;

namespace Gateway.Api;

/// <summary>A listener to open at runtime.</summary>
/// <param name="Name">Unique name; also the listener's id.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>unix</c>.</param>
/// <param name="Address">IP address to bind (tcp, udp; default 127.0.0.1; <c>::</c> is dual-mode).</param>
/// <param name="Port">Port (tcp, udp; 0 or absent = any free port).</param>
/// <param name="Path">Socket file (unix).</param>
/// <param name="Framing"><c>raw</c> (default), <c>line</c>, <c>len16</c>, <c>len32</c>, <c>{"type":"delimiter","hex":"0d0a"}</c> or <c>{"type":"length","offset":4,"width":2,"endian":"big","adjust":0}</c> (width 1, 2, 4 or "varint").</param>
/// <param name="Tls">Terminate TLS: <c>{certificatePath, password}</c> or <c>{selfSigned: true}</c>.</param>
/// <param name="Upstream">Make it a relay to <c>host:port</c> (or <c>unix:/path</c>).</param>
/// <param name="UpstreamTls">TLS to the upstream: <c>{serverName, allowUntrusted}</c>.</param>
/// <param name="Capture">What the capture store keeps: <c>full</c> (default), <c>metadata</c> or <c>off</c>.</param>
/// <param name="CaptureOverflow">When the capture writer is behind: <c>drop</c> (default) or <c>backpressure</c>.</param>
/// <param name="IdleTimeoutSeconds">Close sessions idle this long (default: never for tcp and unix; Gateway:Udp:IdleTimeoutSeconds for udp).</param>
/// <param name="Rules">Rules to start with, as for <c>PUT /api/listeners/{id}/rules</c>.</param>
/// <param name="Decoder">How the API reads its messages: <c>http</c>, <c>resp</c>, <c>mqtt</c>, <c>modbus</c>, <c>dns</c>, <c>json</c>, <c>msgpack</c>, <c>protobuf</c>, <c>auto</c>, <c>wireshark</c> or <c>layout</c> (GET /api/decoders).</param>
/// <param name="DecodeAs">With <c>wireshark</c>: tshark's Decode As rule, <c>tcp.port==1883,mqtt</c>.</param>
/// <param name="Layout">With <c>layout</c>: a Kaitai Struct layout (<c>.ksy</c> text).</param>
public sealed record CreateListenerRequest(
    string? Name,
    string? Protocol,
    string? Address,
    int? Port,
    string? Path,
    Framing.FramingSpec? Framing,
    ListenerTlsOptions? Tls,
    string? Upstream = null,
    Connections.ConnectTls? UpstreamTls = null,
    string? Capture = null,
    string? CaptureOverflow = null,
    double? IdleTimeoutSeconds = null,
    List<Pipeline.RuleSpec>? Rules = null,
    string? Decoder = null,
    string? DecodeAs = null,
    string? Layout = null)
{
    internal ListenerOptions ToOptions() => new()
    {
        Name = Name ?? "",
        Protocol = Protocol ?? "",
        Address = string.IsNullOrWhiteSpace(Address) ? "127.0.0.1" : Address,
        Port = Port ?? 0,
        Path = Path,
        Framing = Framing,
        Tls = Tls,
        Upstream = Upstream,
        UpstreamTls = UpstreamTls,
        Capture = Capture,
        CaptureOverflow = CaptureOverflow,
        IdleTimeoutSeconds = IdleTimeoutSeconds,
        Rules = Rules ?? [],
        Decoder = Decoder,
        DecodeAs = DecodeAs,
        Layout = Layout,
    };
}

/// <summary>A datagram to send from a UDP listener's socket.</summary>
/// <param name="Host">Destination host name or IP address.</param>
/// <param name="Port">Destination port.</param>
/// <param name="Data">The payload, written in <paramref name="Encoding"/>.</param>
/// <param name="Encoding"><c>utf8</c> (default), <c>hex</c> or <c>base64</c>.</param>
public sealed record SendToRequest(string? Host, int? Port, string? Data, string? Encoding);
