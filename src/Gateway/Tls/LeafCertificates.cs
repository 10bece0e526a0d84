using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Tls;

/// <summary>
/// Leaf certificates for the names clients ask for (SNI), signed by the <see cref="GatewayCa"/>: SAN = that
/// DNS name or IP address, server authentication only, short-lived (<c>Gateway:Tls:LeafLifetimeHours</c>),
/// cached up to <c>Gateway:Tls:MaxCachedLeaves</c> (the oldest made goes first) and made anew before they expire.
/// </summary>
internal sealed class LeafCertificates(GatewayCa ca, IOptions<GatewayOptions> options)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, X509Certificate2> _cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<string> _order = new();

    /// <summary>The CA that signs them.</summary>
    public GatewayCa Ca => ca;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _cache.Count;
            }
        }
    }

    public X509Certificate2 For(string name)
    {
        name = name.Trim().TrimEnd('.');
        var now = DateTimeOffset.UtcNow;
        lock (_gate)
        {
            if (_cache.TryGetValue(name, out var cached) && cached.NotAfter.ToUniversalTime() > now.UtcDateTime.AddMinutes(10))
            {
                return cached;
            }
        }

        var leaf = Mint(name, now);
        lock (_gate)
        {
            if (!_cache.ContainsKey(name))
            {
                _order.Enqueue(name);
            }

            _cache[name] = leaf;
            while (_cache.Count > options.Value.Tls.MaxCachedLeaves && _order.TryDequeue(out var oldest))
            {
                _cache.Remove(oldest); // in use by a handshake right now? It keeps its own reference.
            }
        }

        return leaf;
    }

    private X509Certificate2 Mint(string name, DateTimeOffset now)
    {
        var issuer = ca.Certificate;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(name.Length <= 64 ? name : name[..64])}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(name, out var ip))
        {
            names.AddIpAddress(ip);
        }
        else
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var notAfter = now.AddHours(options.Value.Tls.LeafLifetimeHours);
        if (notAfter > issuer.NotAfter)
        {
            notAfter = issuer.NotAfter;
        }

        using var signed = request.Create(issuer, now.AddHours(-1), notAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
