using System.Net;
using System.Text;
using Gateway.Configuration;
using Gateway.Framing;

namespace Gateway.Listeners;

/// <summary>
/// What makes a listener definition valid, shared by configuration (keys named as in appsettings) and
/// <c>POST /api/listeners</c> (fields named as in JSON).
/// </summary>
internal static class ListenerRules
{
    /// <summary>The longest Unix socket path Linux accepts (sun_path is 108 bytes with its terminator).</summary>
    public const int MaxUnixPathBytes = 107;

    /// <summary>The longest idle timeout: 30 days (beyond it, leave the timeout out).</summary>
    public const double MaxIdleTimeoutSeconds = 30 * 24 * 3600;

    /// <summary>The longest connect or handshake timeout anyone may ask for: an hour.</summary>
    public const double MaxTimeoutSeconds = 3600;

    private static readonly Dictionary<string, string> Unsupported = new(StringComparer.OrdinalIgnoreCase)
    {
        ["raw"] = "raw IP sockets (SOCK_RAW) need CAP_NET_RAW and carry whole IP packets with no connection or peer to make a session of",
        ["icmp"] = "ICMP is carried by raw IP sockets (SOCK_RAW), which need CAP_NET_RAW and have no connection or peer to make a session of",
        ["can"] = "CAN sockets (AF_CAN) need a CAN bus interface and carry 8- or 64-byte bus frames addressed by CAN id, not endpoints to accept or connect to",
        ["rds"] = "RDS sockets (AF_RDS) need the rds kernel module and an RDS transport, and .NET offers no endpoint type for them",
        ["sctp"] = "SCTP (multi-stream associations) is not offered by .NET's Socket on Linux in a portable way",
        ["packet"] = "packet sockets (AF_PACKET) capture and inject link-layer frames on an interface and need CAP_NET_RAW",
        ["bluetooth"] = "Bluetooth sockets (AF_BLUETOOTH) need a Bluetooth adapter, and .NET offers no endpoint type for them",
        ["netlink"] = "netlink sockets talk to the kernel, not to network peers",
        ["vsock"] = "vsock (AF_VSOCK) connects virtual machines to their host, and .NET offers no endpoint type for it",
        ["tipc"] = "TIPC needs the tipc kernel module and a TIPC cluster, and .NET offers no endpoint type for it",
        ["dccp"] = "DCCP is not enabled on common kernels and .NET offers no socket type for it",
        ["quic"] = "QUIC is not a raw socket family; it runs over UDP and needs TLS 1.3 and a QUIC stack",
    };

    /// <param name="key">Names a field for the messages: e.g. <c>Gateway:Listeners:0:Port</c> or <c>port</c>.</param>
    public static List<string> Validate(ListenerOptions listener, Func<string, string> key)
    {
        var errors = new List<string>();
        if (!ListenerNames.IsValid(listener.Name))
        {
            errors.Add($"{key("Name")} '{listener.Name}' is not a valid name ({ListenerNames.Rule}).");
        }

        if (!ListenerProtocols.TryParse(listener.Protocol, out var protocol))
        {
            errors.Add(DescribeUnsupported(key("Protocol"), listener.Protocol));
            return errors;
        }

        if (protocol == ListenerProtocol.Unix)
        {
            if (string.IsNullOrWhiteSpace(listener.Path))
            {
                errors.Add($"{key("Path")} is required for a unix listener (the socket file to create).");
            }
            else if (Encoding.UTF8.GetByteCount(listener.Path) > MaxUnixPathBytes)
            {
                errors.Add($"{key("Path")} is longer than the {MaxUnixPathBytes} bytes a Unix socket path may have.");
            }
            else if (UnixSocketFiles.HasParentSegments(listener.Path))
            {
                errors.Add($"{key("Path")} may not contain '..' segments: name the socket file's directory directly.");
            }
            else if (listener.Path.Contains('\0'))
            {
                errors.Add($"{key("Path")} may not contain NUL characters.");
            }
        }
        else
        {
            if (!IPAddress.TryParse(listener.Address, out _))
            {
                errors.Add($"{key("Address")} '{listener.Address}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1, :: for dual-mode).");
            }

            if (listener.Port is < 0 or > 65535)
            {
                errors.Add($"{key("Port")} {listener.Port} is out of range (0-65535, 0 = any free port).");
            }
        }

        if (!FrameFormat.TryParse(listener.Framing, out var framing, out var framingError))
        {
            errors.Add($"{key("Framing")}: {framingError}.");
        }
        else if (protocol == ListenerProtocol.Udp && !framing.IsRaw)
        {
            errors.Add($"{key("Framing")} must be raw for udp: each datagram is already one message.");
        }

        if (!Capture.CapturePolicy.TryParseMode(listener.Capture, out _))
        {
            errors.Add($"{key("Capture")} '{listener.Capture}' is not a capture mode ({Capture.CapturePolicy.ModeNames}).");
        }

        if (!Capture.CapturePolicy.TryParseOverflow(listener.CaptureOverflow, out _))
        {
            errors.Add($"{key("CaptureOverflow")} '{listener.CaptureOverflow}' is not an overflow mode ({Capture.CapturePolicy.OverflowNames}).");
        }

        if (listener.IdleTimeoutSeconds is { } idle && !(idle > 0 && idle <= MaxIdleTimeoutSeconds))
        {
            errors.Add($"{key("IdleTimeoutSeconds")} must be greater than 0 and at most {MaxIdleTimeoutSeconds} (was {idle}; leave it out for no idle timeout).");
        }

        if (!string.IsNullOrWhiteSpace(listener.Upstream))
        {
            if (!Connections.UpstreamAddress.TryParse(listener, protocol, out _, out var why))
            {
                errors.Add($"{key("Upstream")}: {why}.");
            }

        }
        else if (listener.UpstreamTls is not null)
        {
            errors.Add($"{key("UpstreamTls")} needs an upstream.");
        }

        if (listener.UpstreamTls is { ClientCertificatePath: { Length: > 0 } clientCertificate }
            && TlsCertificates.Problem(key("UpstreamTls") + ".clientCertificatePath", clientCertificate) is { } clientProblem)
        {
            errors.Add(clientProblem);
        }

        if (!string.IsNullOrWhiteSpace(listener.Decoder) && !Decoding.Decoders.TryName(listener.Decoder, out _))
        {
            errors.Add($"{key("Decoder")} '{listener.Decoder}' is not a decoder: use {string.Join(", ", Decoding.Decoders.Names)}.");
        }

        if (!Decoding.Wireshark.WiresharkDissector.TryValidateDecodeAs(listener.DecodeAs, out var decodeAsError))
        {
            errors.Add($"{key("DecodeAs")}: {decodeAsError}");
        }

        if (Decoding.Layouts.Problem(listener.Layout) is { } layoutProblem)
        {
            errors.Add($"{key("Layout")}: {layoutProblem}");
        }

        if (listener.Rules.Count > 0)
        {
            var relay = !string.IsNullOrWhiteSpace(listener.Upstream);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < listener.Rules.Count; i++)
            {
                var spec = listener.Rules[i];
                var index = i;
                try
                {
                    Pipeline.RuleCompiler.Compile(spec, spec.Id ?? $"r{i + 1}", protocol, relay, new Pipeline.RuleState(), TimeSpan.FromSeconds(1),
                        field => key($"Rules:{index}:{field}"));
                    if (!string.IsNullOrWhiteSpace(spec.Id) && !ids.Add(spec.Id.Trim()))
                    {
                        errors.Add($"{key($"Rules:{index}:Id")} '{spec.Id}' is used by another rule.");
                    }
                }
                catch (Sessions.CommandException ex)
                {
                    errors.Add(ex.Message);
                }
            }
        }

        if (listener.Tls is { } tls)
        {
            if (protocol == ListenerProtocol.Udp)
            {
                errors.Add($"{key("Tls")}: TLS runs over stream sockets; DTLS for udp is not supported.");
            }
            else if ((tls.SelfSigned ? 1 : 0) + (tls.Ca ? 1 : 0) + (string.IsNullOrWhiteSpace(tls.CertificatePath) ? 0 : 1) is var given
                     && (given > 1 || (given == 0 && string.IsNullOrWhiteSpace(listener.Upstream))))
            {
                errors.Add($"{key("Tls")}: give one of certificatePath (with password if it has one), selfSigned: true or ca: true (certificates minted per name by the gateway CA; the default for relays).");
            }
            else if (string.IsNullOrWhiteSpace(tls.CertificatePath))
            {
                // selfSigned, or the gateway CA: there is no file to check.
            }
            else if (!File.Exists(tls.CertificatePath))
            {
                errors.Add($"{key("Tls")}: certificate file '{tls.CertificatePath}' does not exist.");
            }
            else if (!TlsCertificates.IsRegularFile(tls.CertificatePath!))
            {
                errors.Add($"{key("Tls")}: '{tls.CertificatePath}' is not a regular file (a FIFO, device or directory is never read).");
            }
        }

        return errors;
    }

    public static string DescribeUnsupported(string key, string? protocol) =>
        protocol is not null && Unsupported.TryGetValue(protocol.Trim(), out var why)
            ? $"{key} '{protocol}': this socket family is not supported by this gateway: {why}. Use tcp, udp or unix."
            : $"{key} '{protocol}' is not supported by this gateway: use tcp, udp or unix.";
}
