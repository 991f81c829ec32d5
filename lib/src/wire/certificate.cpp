#include "rpcplugin/wire/certificate.hpp"

#include "rpcplugin/codec/base64.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <climits>
#include <ctime>
#include <memory>

namespace rpcplugin::wire
{
namespace
{
namespace chrono = std::chrono;

template <auto Free>
struct deleter
{
    template <class T>
    void operator()(T* p) const noexcept
    {
        Free(p);
    }
};

using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, deleter<BN_free>>;
using name_ptr = std::unique_ptr<X509_NAME, deleter<X509_NAME_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, deleter<GENERAL_NAMES_free>>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, deleter<GENERAL_NAME_free>>;

error bad(std::string message)
{
    return make_error(errc::bad_certificate, std::move(message));
}

// The reason of the oldest queued OpenSSL error (usually the root cause); clears the queue.
std::string openssl_reason()
{
    const unsigned long first = ::ERR_get_error();
    ::ERR_clear_error();
    if (first == 0)
        return {};
    if (const char* reason = ::ERR_reason_error_string(first))
        return reason;
    char buf[256];
    ::ERR_error_string_n(first, buf, sizeof(buf));
    return buf;
}

error openssl_failure(std::string message)
{
    const std::string reason = openssl_reason();
    if (!reason.empty())
    {
        message += ": ";
        message += reason;
    }
    return bad(std::move(message));
}

// Never prompt on a terminal for a passphrase.
int no_passphrase(char*, int, int, void*)
{
    return -1;
}

bio_ptr memory_bio(std::string_view data)
{
    if (data.size() > static_cast<std::size_t>(INT_MAX))
        return nullptr;
    return bio_ptr(::BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_contents(BIO* bio)
{
    BUF_MEM* mem = nullptr;
    BIO_get_mem_ptr(bio, &mem);
    return mem ? std::string(mem->data, mem->length) : std::string();
}

bool is_no_start_line(unsigned long e) noexcept
{
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

std::string name_text(const X509_NAME* name)
{
    bio_ptr bio(::BIO_new(::BIO_s_mem()));
    if (!bio || ::X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
        return {};
    return bio_contents(bio.get());
}

std::string key_type_of(const EVP_PKEY* key)
{
    switch (::EVP_PKEY_get_base_id(key))
    {
    case EVP_PKEY_EC:
    {
        char group[64] = {};
        std::size_t length = 0;
        if (::EVP_PKEY_get_group_name(key, group, sizeof(group), &length) != 1)
            return "EC";
        const std::string_view g(group, length);
        if (g == "prime256v1" || g == "P-256")
            return "EC P-256";
        if (g == "secp384r1" || g == "P-384")
            return "EC P-384";
        if (g == "secp521r1" || g == "P-521")
            return "EC P-521";
        return "EC " + std::string(g);
    }
    case EVP_PKEY_RSA: return "RSA " + std::to_string(::EVP_PKEY_get_bits(key));
    case EVP_PKEY_ED25519: return "ED25519";
    case EVP_PKEY_ED448: return "ED448";
    default:
    {
        const char* name = ::EVP_PKEY_get0_type_name(key);
        return name ? name : "unknown";
    }
    }
}

chrono::system_clock::time_point to_time_point(const ASN1_TIME* t)
{
    std::tm tm{};
    if (!t || ::ASN1_TIME_to_tm(t, &tm) != 1)
        return {};
    return chrono::system_clock::from_time_t(::timegm(&tm));
}

std::string ip_text(const ASN1_OCTET_STRING* ip)
{
    const int length = ::ASN1_STRING_length(ip);
    const unsigned char* data = ::ASN1_STRING_get0_data(ip);
    char buf[INET6_ADDRSTRLEN] = {};
    if (length == 4 && ::inet_ntop(AF_INET, data, buf, sizeof(buf)))
        return buf;
    if (length == 16 && ::inet_ntop(AF_INET6, data, buf, sizeof(buf)))
        return buf;
    return "<invalid IP address of " + std::to_string(length) + " bytes>";
}

boost::system::result<certificate_info, error> describe(X509* x)
{
    certificate_info info;
    const int der_length = ::i2d_X509(x, nullptr);
    if (der_length <= 0)
        return openssl_failure("cannot encode the certificate");
    info.der.resize(static_cast<std::size_t>(der_length));
    auto* out = reinterpret_cast<unsigned char*>(info.der.data());
    ::i2d_X509(x, &out);

    const std::uint32_t flags = ::X509_get_extension_flags(x);
    if (flags & EXFLAG_INVALID)
        return openssl_failure("the certificate has a malformed extension");

    info.subject = name_text(::X509_get_subject_name(x));
    info.issuer = name_text(::X509_get_issuer_name(x));
    if (bignum_ptr serial{::ASN1_INTEGER_to_BN(::X509_get0_serialNumber(x), nullptr)})
    {
        if (char* hex = ::BN_bn2hex(serial.get()))
        {
            info.serial_hex = hex;
            ::OPENSSL_free(hex);
        }
    }
    if (const char* algorithm = ::OBJ_nid2sn(::X509_get_signature_nid(x)))
        info.signature_algorithm = algorithm;
    if (const EVP_PKEY* key = ::X509_get0_pubkey(x))
        info.key_type = key_type_of(key);
    else
        return openssl_failure("the certificate's public key does not parse");

    int critical = 0;
    general_names_ptr names{static_cast<GENERAL_NAMES*>(
        ::X509_get_ext_d2i(x, NID_subject_alt_name, &critical, nullptr))};
    if (names)
    {
        for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i)
        {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
            if (name->type == GEN_DNS)
            {
                const ASN1_IA5STRING* dns = name->d.dNSName;
                info.dns_names.emplace_back(
                    reinterpret_cast<const char*>(::ASN1_STRING_get0_data(dns)),
                    static_cast<std::size_t>(::ASN1_STRING_length(dns)));
            }
            else if (name->type == GEN_IPADD)
                info.ip_addresses.push_back(ip_text(name->d.iPAddress));
        }
    }

    info.has_extended_key_usage = (flags & EXFLAG_XKUSAGE) != 0;
    if (info.has_extended_key_usage)
    {
        const std::uint32_t xku = ::X509_get_extended_key_usage(x);
        info.server_auth = (xku & XKU_SSL_SERVER) != 0;
        info.client_auth = (xku & XKU_SSL_CLIENT) != 0;
    }
    info.has_key_usage = (flags & EXFLAG_KUSAGE) != 0;
    if (info.has_key_usage)
    {
        const std::uint32_t ku = ::X509_get_key_usage(x);
        info.digital_signature = (ku & KU_DIGITAL_SIGNATURE) != 0;
        info.key_encipherment = (ku & KU_KEY_ENCIPHERMENT) != 0;
        info.key_agreement = (ku & KU_KEY_AGREEMENT) != 0;
        info.key_cert_sign = (ku & KU_KEY_CERT_SIGN) != 0;
    }
    info.is_ca = (flags & EXFLAG_BCONS) != 0 && (flags & EXFLAG_CA) != 0;
    info.not_before = to_time_point(::X509_get0_notBefore(x));
    info.not_after = to_time_point(::X509_get0_notAfter(x));
    return info;
}

// Reads every CERTIFICATE block; stops at the end of the input.
boost::system::result<std::vector<x509_ptr>, error> read_certificates(std::string_view pem)
{
    ::ERR_clear_error();
    bio_ptr bio = memory_bio(pem);
    if (!bio)
        return openssl_failure("cannot read the PEM text");
    std::vector<x509_ptr> certificates;
    for (;;)
    {
        x509_ptr x{::PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)};
        if (x)
        {
            certificates.push_back(std::move(x));
            continue;
        }
        const unsigned long e = ::ERR_peek_last_error();
        if (is_no_start_line(e))
        {
            ::ERR_clear_error();
            break;
        }
        return openssl_failure(certificates.empty() ? std::string("malformed PEM certificate")
                                                    : "malformed PEM certificate number " +
                                                          std::to_string(certificates.size() + 1));
    }
    if (certificates.empty())
        return bad("no PEM certificate found (expected a \"-----BEGIN "
                   "CERTIFICATE-----\" block)");
    return certificates;
}

boost::system::result<pkey_ptr, error> read_private_key(std::string_view pem)
{
    ::ERR_clear_error();
    if (pem.find("ENCRYPTED") != std::string_view::npos)
        return bad("the private key is encrypted; an unencrypted PEM key is needed");
    if (pem.find("-----BEGIN") == std::string_view::npos ||
        pem.find("PRIVATE KEY-----") == std::string_view::npos)
        return bad("no PEM private key found (expected a \"-----BEGIN PRIVATE KEY-----\" block)");
    bio_ptr bio = memory_bio(pem);
    if (!bio)
        return openssl_failure("cannot read the PEM text");
    pkey_ptr key{::PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)};
    if (!key)
        return openssl_failure("malformed PEM private key");
    ::ERR_clear_error();
    return key;
}

struct curve_parameters
{
    const char* group;
    const EVP_MD* (*digest)();
};

curve_parameters parameters_of(ec_curve curve) noexcept
{
    switch (curve)
    {
    case ec_curve::p384: return {"P-384", ::EVP_sha384};
    case ec_curve::p521: return {"P-521", ::EVP_sha512};
    case ec_curve::p256: break;
    }
    return {"P-256", ::EVP_sha256};
}

bool add_extension(X509* x, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    ext_ptr ext{::X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
    return ext && ::X509_add_ext(x, ext.get(), -1) == 1;
}

boost::system::result<void, error> add_subject_alt_names(X509* x, const certificate_options& o)
{
    general_names_ptr names{sk_GENERAL_NAME_new_null()};
    if (!names)
        return openssl_failure("cannot allocate the subject alternative names");
    for (const std::string& dns : o.dns_names)
    {
        if (dns.empty())
            return bad("empty DNS name in the subject alternative names");
        for (char c : dns)
        {
            if (c <= ' ' || c > '~')
                return bad("DNS name \"" + dns + "\" has a character outside printable ASCII");
        }
        general_name_ptr name{::GENERAL_NAME_new()};
        ASN1_IA5STRING* text = ::ASN1_IA5STRING_new();
        if (!name || !text ||
            ::ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1)
        {
            ::ASN1_IA5STRING_free(text);
            return openssl_failure("cannot build the subject alternative names");
        }
        ::GENERAL_NAME_set0_value(name.get(), GEN_DNS, text);
        if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0)
            return openssl_failure("cannot build the subject alternative names");
        name.release();
    }
    for (const std::string& ip : o.ip_addresses)
    {
        ASN1_OCTET_STRING* address = ::a2i_IPADDRESS(ip.c_str());
        if (!address)
        {
            ::ERR_clear_error();
            return bad("\"" + ip + "\" is not an IPv4 or IPv6 address");
        }
        general_name_ptr name{::GENERAL_NAME_new()};
        if (!name)
        {
            ::ASN1_OCTET_STRING_free(address);
            return openssl_failure("cannot build the subject alternative names");
        }
        ::GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address);
        if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0)
            return openssl_failure("cannot build the subject alternative names");
        name.release();
    }
    if (sk_GENERAL_NAME_num(names.get()) == 0)
        return bad("a certificate needs at least one DNS name or IP address");
    if (::X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return openssl_failure("cannot add the subject alternative names");
    return {};
}
} // namespace

boost::system::result<generated_certificate, error>
generate_certificate(const certificate_options& options, chrono::system_clock::time_point now)
{
    ::ERR_clear_error();
    const curve_parameters curve = parameters_of(options.curve);
    pkey_ptr key{::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.group)};
    if (!key)
        return openssl_failure("cannot generate an ECDSA key");

    x509_ptr x{::X509_new()};
    if (!x || ::X509_set_version(x.get(), X509_VERSION_3) != 1)
        return openssl_failure("cannot create the certificate");

    unsigned char serial_bytes[16];
    if (::RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
        return openssl_failure("cannot draw a random serial number");
    bignum_ptr serial{::BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr)};
    if (!serial || !::BN_to_ASN1_INTEGER(serial.get(), ::X509_get_serialNumber(x.get())))
        return openssl_failure("cannot set the serial number");

    X509_NAME* name = ::X509_get_subject_name(x.get());
    const auto add_entry = [&](const char* field, const std::string& value)
    {
        return value.empty() ||
               ::X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                            reinterpret_cast<const unsigned char*>(value.c_str()),
                                            static_cast<int>(value.size()), -1, 0) == 1;
    };
    if (!add_entry("O", options.organization) || !add_entry("CN", options.common_name))
        return openssl_failure("cannot set the subject name");
    if (::X509_set_issuer_name(x.get(), name) != 1)
        return openssl_failure("cannot set the issuer name");

    const std::time_t not_before = chrono::system_clock::to_time_t(now - options.backdate);
    const std::time_t not_after = chrono::system_clock::to_time_t(now + options.validity);
    if (!::ASN1_TIME_set(::X509_getm_notBefore(x.get()), not_before) ||
        !::ASN1_TIME_set(::X509_getm_notAfter(x.get()), not_after))
        return openssl_failure("cannot set the validity period");
    if (::X509_set_pubkey(x.get(), key.get()) != 1)
        return openssl_failure("cannot set the public key");

    const char* basic = options.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    const char* usage = options.is_ca
                            ? "critical,digitalSignature,keyEncipherment,keyAgreement,keyCertSign"
                            : "critical,digitalSignature,keyEncipherment,keyAgreement";
    if (!add_extension(x.get(), NID_basic_constraints, basic) ||
        !add_extension(x.get(), NID_key_usage, usage) ||
        !add_extension(x.get(), NID_ext_key_usage, "clientAuth,serverAuth") ||
        !add_extension(x.get(), NID_subject_key_identifier, "hash"))
        return openssl_failure("cannot add the certificate extensions");
    if (auto r = add_subject_alt_names(x.get(), options); !r)
        return r.error();

    if (::X509_sign(x.get(), key.get(), curve.digest()) <= 0)
        return openssl_failure("cannot sign the certificate");

    generated_certificate out;
    bio_ptr cert_bio(::BIO_new(::BIO_s_mem()));
    if (!cert_bio || ::PEM_write_bio_X509(cert_bio.get(), x.get()) != 1)
        return openssl_failure("cannot encode the certificate");
    out.certificate_pem = bio_contents(cert_bio.get());

    bio_ptr key_bio(::BIO_new(::BIO_s_mem()));
    if (!key_bio || ::PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0,
                                               nullptr, nullptr) != 1)
        return openssl_failure("cannot encode the private key");
    out.private_key_pem = bio_contents(key_bio.get());

    const int der_length = ::i2d_X509(x.get(), nullptr);
    if (der_length <= 0)
        return openssl_failure("cannot encode the certificate");
    out.certificate_der.resize(static_cast<std::size_t>(der_length));
    auto* der = reinterpret_cast<unsigned char*>(out.certificate_der.data());
    ::i2d_X509(x.get(), &der);
    return out;
}

boost::system::result<certificate_info, error> parse_certificate_pem(std::string_view pem)
{
    auto certificates = read_certificates(pem);
    if (!certificates)
        return certificates.error();
    if (certificates->size() != 1)
        return bad("expected one PEM certificate, found " + std::to_string(certificates->size()));
    return describe(certificates->front().get());
}

boost::system::result<std::vector<certificate_info>, error>
parse_certificates_pem(std::string_view pem)
{
    auto certificates = read_certificates(pem);
    if (!certificates)
        return certificates.error();
    std::vector<certificate_info> infos;
    for (const x509_ptr& x : *certificates)
    {
        auto info = describe(x.get());
        if (!info)
            return info.error();
        infos.push_back(std::move(*info));
    }
    return infos;
}

boost::system::result<certificate_info, error> parse_certificate_der(std::string_view der)
{
    ::ERR_clear_error();
    if (der.empty())
        return bad("empty DER certificate");
    if (der.size() > static_cast<std::size_t>(LONG_MAX))
        return bad("DER certificate too large");
    const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* p = begin;
    x509_ptr x{::d2i_X509(nullptr, &p, static_cast<long>(der.size()))};
    if (!x)
        return openssl_failure("malformed DER certificate");
    if (p != begin + der.size())
        return bad("trailing bytes after the DER certificate");
    return describe(x.get());
}

boost::system::result<std::string, error> certificate_der_to_pem(std::string_view der)
{
    auto info = parse_certificate_der(der);
    if (!info)
        return info.error();
    const auto* p = reinterpret_cast<const unsigned char*>(info->der.data());
    x509_ptr x{::d2i_X509(nullptr, &p, static_cast<long>(info->der.size()))};
    bio_ptr bio(::BIO_new(::BIO_s_mem()));
    if (!x || !bio || ::PEM_write_bio_X509(bio.get(), x.get()) != 1)
        return openssl_failure("cannot encode the certificate as PEM");
    // std::string would also construct an error: name the alternative.
    return {boost::system::in_place_value, bio_contents(bio.get())};
}

boost::system::result<private_key_info, error> parse_private_key_pem(std::string_view pem)
{
    auto key = read_private_key(pem);
    if (!key)
        return key.error();
    return private_key_info{key_type_of(key->get())};
}

boost::system::result<void, error> check_key_pair(std::string_view cert_pem,
                                                  std::string_view key_pem)
{
    auto certificates = read_certificates(cert_pem);
    if (!certificates)
        return certificates.error();
    auto key = read_private_key(key_pem);
    if (!key)
        return key.error();
    const EVP_PKEY* public_key = ::X509_get0_pubkey(certificates->front().get());
    if (!public_key)
        return openssl_failure("the certificate's public key does not parse");
    if (::EVP_PKEY_eq(public_key, key->get()) != 1)
    {
        ::ERR_clear_error();
        return bad("the private key does not belong to the certificate");
    }
    return {};
}

std::string base64_der_nopad(std::string_view der)
{
    return codec::base64_encode(der, false);
}
} // namespace rpcplugin::wire
