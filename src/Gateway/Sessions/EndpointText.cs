using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Sessions;

internal static class EndpointText
{
    /// <summary><c>127.0.0.1:5000</c> or <c>[::1]:5000</c>; IPv4 peers of a dual-mode socket show as IPv4.</summary>
    public static string Format(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        null => "",
        _ => endpoint.ToString() ?? "",
    };

    /// <summary>
    /// The peer of an accepted socket. Unix peers have no address of their own, so they are named by the
    /// process on the other end (SO_PEERCRED): <c>unix:pid=1234,uid=1000</c>.
    /// </summary>
    public static string Peer(Socket socket)
    {
        if (socket.AddressFamily != AddressFamily.Unix)
        {
            return Format(socket.RemoteEndPoint);
        }

        const int SolSocket = 1, SoPeerCred = 17;
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        try
        {
            if (OperatingSystem.IsLinux() && socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == 12)
            {
                return $"unix:pid={BinaryPrimitives.ReadInt32LittleEndian(credentials)},uid={BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..])}";
            }
        }
        catch (SocketException)
        {
            // Fall through to the generic name.
        }

        return socket.RemoteEndPoint?.ToString() is { Length: > 0 } path ? $"unix:{path}" : "unix:peer";
    }
}
