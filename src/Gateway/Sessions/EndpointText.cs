using System.Net;

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
}
