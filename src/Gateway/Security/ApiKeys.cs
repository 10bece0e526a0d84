using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Security;

/// <summary>The configured keys, held as SHA-256 digests and compared in constant time.</summary>
internal sealed class ApiKeys
{
    private readonly Entry[] _entries;

    public ApiKeys(IOptions<GatewayOptions> options)
    {
        _entries = options.Value.Auth.Keys
            .Select(k => new Entry(k.Name, k.Role.Trim().ToLowerInvariant(), k.Key is { Length: > 0 } key ? Hash(key) : Convert.FromHexString(k.KeySha256!.Trim())))
            .ToArray();
    }

    /// <summary>No keys: the gateway is open (allowed only when its HTTP address is loopback).</summary>
    public bool Open => _entries.Length == 0;

    public (string Name, string Role)? Find(string presented)
    {
        var digest = Hash(presented);
        (string, string)? found = null;
        foreach (var entry in _entries)
        {
            // Every entry is compared, so the time taken says nothing about which one matched.
            if (CryptographicOperations.FixedTimeEquals(digest, entry.Digest))
            {
                found = (entry.Name, entry.Role);
            }
        }

        return found;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private sealed record Entry(string Name, string Role, byte[] Digest);
}
