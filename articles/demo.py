"""
The articles app's demo, loaded by `manage.py load_demo`: a small, fictional newsroom with
sections, bylines, articles in every state (published, scheduled, in review, draft) and three
staff logins (editor, moderator, writer) with fresh random passwords, in the groups the articles
migrations create.

Every person, place and quotation below is invented. Loading again updates the same rows (keyed
on slug and username) instead of adding new ones.
"""

import secrets
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from articles.models import Article, ArticleAuthor, Author, Section

SECTIONS = [
    {
        "slug": "nation",
        "name": "Nation",
        "description": "Politics, public services and city news from across the country.",
        "order": 1,
    },
    {
        "slug": "world",
        "name": "World",
        "description": "Diplomacy, disasters and daily life beyond our borders.",
        "order": 2,
    },
    {
        "slug": "business",
        "name": "Business",
        "description": "Companies, cooperatives, jobs and the cost of living.",
        "order": 3,
    },
    {
        "slug": "science",
        "name": "Science",
        "description": "Research, the environment and health, explained.",
        "order": 4,
    },
    {
        "slug": "opinion",
        "name": "Opinion",
        "description": "Columns and commentary. Views are the writers’ own.",
        "order": 5,
    },
]

AUTHORS = [
    {
        "slug": "staff-reporter",
        "name": "Staff Reporter",
        "bio": "Reports from the Newsroom desk, written and checked by the duty editors.",
        "is_desk": True,
    },
    {
        "slug": "arjun-sethi",
        "name": "Arjun Sethi",
        "bio": "Covers city government, transport and public services.",
        "is_desk": False,
    },
    {
        "slug": "leela-varghese",
        "name": "Leela Varghese",
        "bio": "Science correspondent writing about ecology, climate and public health.",
        "is_desk": False,
    },
    {
        "slug": "daniel-okafor",
        "name": "Daniel Okafor",
        "bio": "Business reporter covering small companies, cooperatives and credit.",
        "is_desk": False,
    },
    {
        "slug": "ines-marlowe",
        "name": "Ines Marlowe",
        "bio": "World affairs correspondent and author of a fortnightly column on diplomacy.",
        "is_desk": False,
    },
]

# publish_at is a fixed datetime, a timedelta from the time of the run, or None. Relative times
# keep the scheduled article in the future and the rest of the front page recent on every run.
ARTICLES = [
    {
        "slug": "ministers-open-bilateral-dialogue",
        "headline": "Estrava and Kelland ministers open bilateral dialogue",
        "dek": (
            "The neighbours agreed to meet twice a year and set up working groups on trade, "
            "border crossings and the shared Drenna river."
        ),
        "section": "world",
        "authors": ["staff-reporter"],
        "status": Article.Status.PUBLISHED,
        # 20:54 UTC on Monday 23 October 2023 is 02:24 IST on Tuesday 24 October, the dateline.
        "publish_at": datetime(2023, 10, 23, 20, 54, tzinfo=UTC),
        "body": (
            "<p>The foreign ministers of Estrava and Kelland opened the first round of a new "
            "bilateral dialogue in the Estravan capital, Port Alder, on Monday, agreeing to meet "
            "twice a year and to set up joint working groups on trade, border crossings and "
            "shared water resources.</p>"
            "<p>The two-day meeting, the first formal talks at ministerial level in more than six "
            "years, ended with a joint statement that both sides described as “a framework, not a "
            "finished agreement”. Officials said the working groups would report back before the "
            "next round, expected in the Kellish city of Kestrow in the spring.</p>"
            "<h2>Trade and transit on the agenda</h2>"
            "<p>Estrava’s foreign minister, Teodor Vasko, told reporters after the session that "
            "the immediate priority was to cut delays at the three land crossings between the two "
            "countries, where freight lorries can wait up to two days for clearance. “Our "
            "businesses have been asking for predictable rules for years,” he said. “Today we "
            "agreed on who sits at the table and when. That is where predictable rules "
            "begin.”</p>"
            "<p>His Kellish counterpart, Maren Holt, said her government would propose a pilot "
            "scheme for joint customs inspections at the busiest crossing. “We are not starting "
            "from zero,” she said. “Our customs officers already talk to each other every day. "
            "What they need is a common procedure and the authority to use it.”</p>"
            "<p>According to the joint statement, the trade working group will also examine "
            "tariffs on farm machinery and processed food, which together make up about a fifth "
            "of trade between the two countries.</p>"
            "<h2>Water sharing and next steps</h2>"
            "<p>The more sensitive item on the agenda was the management of the Drenna river, "
            "which rises in Kelland and irrigates farmland on both sides of the border. Both "
            "ministers said the talks had been frank. A senior Estravan official, speaking on "
            "condition of anonymity because the discussions were continuing, said the two sides "
            "had agreed to exchange river flow data every month, “which sounds modest, but has "
            "not happened before”.</p>"
            "<p>Analysts cautioned against expecting quick results. “Regular meetings create "
            "habits, and habits matter in diplomacy,” said Ilse Brandt, who teaches international "
            "relations at the University of Port Alder. “The test will be whether the working "
            "groups are given real mandates and budgets.”</p>"
            "<p>Ms Holt is due to brief Kelland’s parliament on the talks later this week.</p>"
        ),
    },
    {
        "slug": "seagrass-meadows-return-to-merrin-bay",
        "headline": "Seagrass meadows return to Merrin Bay, coastal survey finds",
        "dek": (
            "Divers mapped almost twice the area of seagrass recorded five years ago, a sign "
            "that cleaner water is reaching the bay."
        ),
        "section": "science",
        "authors": ["leela-varghese", "arjun-sethi"],
        "status": Article.Status.PUBLISHED,
        "publish_at": -timedelta(days=4, hours=7),
        "body": (
            "<p>Seagrass meadows in Merrin Bay have almost doubled in area over five years, "
            "according to a survey by the regional fisheries institute, in what researchers "
            "describe as the clearest sign yet that cleaner water is reaching the bay.</p>"
            "<p>Teams of divers and a small survey boat mapped 412 hectares of seagrass between "
            "March and June, compared with 218 hectares in the previous survey. The largest gains "
            "were in the shallow northern half of the bay, near the mouth of Tenna creek.</p>"
            "<p>“We expected some recovery, but not at this pace,” said Dr Rekha Pillai, the "
            "marine ecologist who led the survey. “Seagrass needs light. When the water is "
            "clearer, it comes back on its own.”</p>"
            "<h2>Why the water cleared</h2>"
            "<p>The survey links the recovery to the city’s wastewater treatment plant, which "
            "opened six years ago and now treats most of the sewage that once flowed untreated "
            "into the creek. Municipal figures show that nitrogen levels at the creek mouth have "
            "fallen by about a third since then.</p>"
            "<p>Seagrass shelters young fish and crabs, stores carbon in the seabed and softens "
            "waves before they reach the shore. Fishers in the villages around the bay say they "
            "have noticed the change. “There are more small fish near the jetty than when I was "
            "a boy,” said one, who has fished the bay for forty years.</p>"
            "<p>The researchers caution that the meadows remain fragile. The survey lists three "
            "main risks:</p>"
            "<ul>"
            "<li>anchors and propellers in the shallow northern channels;</li>"
            "<li>silt from building work along the eastern shore;</li>"
            "<li>marine heatwaves, which have damaged seagrass elsewhere in the region.</li>"
            "</ul>"
            "<p>The institute has published the "
            '<a href="https://example.org/merrin-bay-seagrass-survey">full survey and maps</a> '
            "and plans to repeat the count in two years.</p>"
        ),
    },
    {
        "slug": "household-survey-field-work-begins",
        "headline": "Field work begins for the national household survey",
        "dek": "About 2,400 enumerators will visit a sample of 60,000 homes over four months.",
        "section": "nation",
        "authors": ["arjun-sethi"],
        "status": Article.Status.PUBLISHED,
        "publish_at": timedelta(days=3),
        "body": (
            "<p>Enumerators from the National Statistics Office have begun visiting homes for "
            "the national household survey, the main source of official figures on household "
            "spending, housing and access to public services.</p>"
            "<p>About 2,400 field staff will visit a randomly selected sample of 60,000 "
            "households over the next four months. Each visit takes around forty minutes, and "
            "the questions cover the size of the household, monthly spending, the condition of "
            "the home and the distance to the nearest school and health centre.</p>"
            "<p>“Every household in the sample stands in for hundreds of others, so each "
            "interview matters,” said Farida Qureshi, the office’s director of field operations. "
            "“We ask people to give our staff a little of their time. Their answers shape where "
            "schools and clinics are built.”</p>"
            "<h2>How to recognise an enumerator</h2>"
            "<p>Field staff carry a photo identity card and a letter from the statistics office. "
            "Residents can check an enumerator’s name through the office’s helpline before "
            "answering any questions. The office stresses that enumerators will <strong>never "
            "ask for bank details, passwords or payments</strong>.</p>"
            "<p>Individual answers are confidential by law and are published only as totals. "
            "First results are expected next year, with a full report to follow.</p>"
        ),
    },
    {
        "slug": "libraries-should-open-when-readers-are-free",
        "headline": "Libraries should open when readers are free",
        "dek": "Branch libraries close at five on weekdays, just when most working people could "
        "use them.",
        "section": "opinion",
        "authors": ["arjun-sethi"],
        "status": Article.Status.DRAFT,
        "publish_at": None,
        "body": (
            "<p>The branch library near my home closes at five o’clock on weekdays. It is a fine "
            "library: bright, quiet, with a good children’s corner and a reading room where "
            "retired teachers do the crossword in pairs. But for most people who work, it might "
            "as well be closed all week.</p>"
            "<p>The city’s own figures tell the story. Branch libraries are busiest in the first "
            "hour after school and on Saturday mornings, when the queue for the computers runs "
            "to the door. On weekday mornings, the staff often outnumber the readers.</p>"
            "<p>The fix needs neither new buildings nor bigger budgets. It needs opening hours "
            "that match the hours when people can come. Three changes would go a long way:</p>"
            "<ol>"
            "<li>open at eleven instead of nine, and close at eight instead of five;</li>"
            "<li>open on Sunday afternoons, when families are most likely to visit together;</li>"
            "<li>keep at least one branch in each ward open late during exam weeks.</li>"
            "</ol>"
            "<p>Staff unions are right to insist that later shifts be voluntary and fairly paid, "
            "and that no one is asked to close a building alone at night. Those are conditions "
            "to plan for, not reasons to do nothing.</p>"
            "<p>A library is one of the few indoor public places where nobody has to buy "
            "anything. <em>That</em> is worth keeping open at the hours people are free to walk "
            "in.</p>"
        ),
    },
    {
        "slug": "small-lenders-see-steady-demand-for-farm-loans",
        "headline": "Small lenders report steady demand for farm equipment loans",
        "dek": (
            "Cooperative banks say farmers are still borrowing for pumps and small tractors "
            "despite higher interest rates."
        ),
        "section": "business",
        "authors": ["daniel-okafor"],
        "status": Article.Status.IN_REVIEW,
        "publish_at": None,
        "body": (
            "<p>Demand for small loans to buy farm equipment has held up over the past six "
            "months despite higher interest rates, according to a survey of cooperative and "
            "rural banks published by their national federation.</p>"
            "<p>Three in five of the 180 lenders surveyed said applications for equipment loans "
            "were at or above the level of a year earlier. Most of the loans were small and paid "
            "for irrigation pumps, sprayers and compact tractors shared between several "
            "families.</p>"
            "<p>“Farmers are borrowing to save labour and water, not to expand,” said Suresh "
            "Kamat, the federation’s chief economist. “A pump that runs on solar power pays for "
            "itself in a few seasons. People can do that arithmetic.”</p>"
            "<p>Repayments have also been steady. Lenders reported that the share of equipment "
            "loans more than ninety days overdue was little changed from a year earlier, though "
            "several banks in drier districts said they had rescheduled payments after poor "
            "rains.</p>"
            "<p>The federation has asked regulators to let cooperative banks pool small loans so "
            "they can lend more without raising their own borrowing costs. The central bank has "
            "not commented on the proposal.</p>"
        ),
    },
    {
        "slug": "council-approves-new-bus-routes-for-outer-suburbs",
        "headline": "Council approves eleven new bus routes for outer suburbs",
        "dek": (
            "The routes link fast-growing neighbourhoods to metro stations and the city’s two "
            "main hospitals."
        ),
        "section": "nation",
        "authors": ["arjun-sethi"],
        "status": Article.Status.PUBLISHED,
        "publish_at": -timedelta(days=1, hours=3),
        "body": (
            "<p>The city council has approved eleven new bus routes serving the outer suburbs, a "
            "plan that transport officials say will put four in five residents within a "
            "ten-minute walk of a bus stop.</p>"
            "<p>The routes, which start in January, link housing estates built over the past "
            "decade to metro stations, the two main hospitals and the industrial area on the "
            "eastern ring road. Buses will run every twelve minutes at peak hours and every "
            "twenty minutes at other times.</p>"
            "<p>“People moved to these neighbourhoods because homes were affordable, and then "
            "found they had to spend an hour getting anywhere,” said Kavita Rao, who chairs the "
            "council’s transport committee. “This plan is about giving them that hour back.”</p>"
            "<p>The council will add sixty buses to the fleet, most of them electric, and build "
            "two depots with charging points. The cost will be shared between the city budget "
            "and a regional transport fund.</p>"
            "<h2>Questions over drivers</h2>"
            "<p>Opposition members supported the routes but asked whether the city’s transport "
            "undertaking could hire enough drivers in time; it has about 300 vacancies. Its "
            "general manager told the meeting that a recruitment drive would begin this month "
            "and that training would take about ten weeks.</p>"
            "<p>Residents can comment on the proposed stops until the end of the month through "
            "the council’s "
            '<a href="https://example.org/outer-routes-consultation">consultation page</a>.</p>'
        ),
    },
    {
        "slug": "talks-about-talks-still-matter",
        "headline": "Talks about talks still matter",
        "dek": "Regular meetings between neighbours rarely make headlines. That is rather the "
        "point.",
        "section": "opinion",
        "authors": ["ines-marlowe"],
        "status": Article.Status.PUBLISHED,
        "publish_at": -timedelta(days=6, hours=2),
        "body": (
            "<p>There is a familiar sneer about diplomacy: that it is mostly talks about talks. "
            "Ministers fly in, shake hands, agree to meet again and fly home. Nothing, the "
            "complaint goes, has changed.</p>"
            "<p>Having spent a good part of my working life in the corridors outside such "
            "meetings, I think the sneer misses how things actually get done between neighbours. "
            "Agreements are rarely struck in a single dramatic session. They are assembled "
            "slowly, by officials who have learned to trust one another’s phone calls.</p>"
            "<blockquote><p>“The first meeting is for the photographs. The fifth is where the "
            "work happens.”</p></blockquote>"
            "<p>A retired ambassador once put it to me that way, and it has stuck. Routine "
            "meetings create deadlines, and deadlines force civil servants to write papers, test "
            "proposals and find out what the other side can accept. When the meetings stop, that "
            "work stops with them.</p>"
            "<p>None of this means talks deserve praise for their own sake. A dialogue with no "
            "working groups, no published agenda and no date for the next round is theatre. "
            "Readers are entitled to ask what has been agreed, who is responsible for it and "
            "when they will hear more.</p>"
            "<p>But the next time two governments announce that they will <em>keep talking</em>, "
            "it is worth resisting the eye-roll. Keeping talking is usually what makes everything "
            "else possible.</p>"
        ),
    },
    {
        "slug": "weavers-cooperative-opens-first-export-office",
        "headline": "Weavers’ cooperative opens its first export office",
        "dek": (
            "The cooperative, which has 1,300 members, wants to sell directly to shops abroad "
            "instead of through agents."
        ),
        "section": "business",
        "authors": ["daniel-okafor"],
        "status": Article.Status.PUBLISHED,
        "publish_at": -timedelta(days=11, hours=5),
        "body": (
            "<p>A handloom weavers’ cooperative with 1,300 members has opened its first export "
            "office, aiming to sell cotton and silk fabric directly to shops abroad rather than "
            "through trading agents.</p>"
            "<p>The cooperative, founded four decades ago in a cluster of weaving villages, sold "
            "about a tenth of its output overseas last year, almost all of it through two agents "
            "who set the prices and kept most of the margin, according to its annual report.</p>"
            "<p>“Our members were paid for the cloth, but the value was made somewhere else,” "
            "said Nirmala Devaraj, the cooperative’s managing director. “With our own office, we "
            "can show a buyer who wove the fabric, how it was dyed and what the weaver "
            "earned.”</p>"
            "<p>The office, staffed by four people, will handle orders, samples and shipping "
            "paperwork. The cooperative has also put its catalogue online and plans to attend two "
            "trade fairs next year.</p>"
            "<p>Small exporters face real hurdles, said a consultant who advises craft "
            "businesses: buyers expect the same colour across large orders, quick replies and "
            "reliable delivery dates. The cooperative says it has invested in a shared dyeing "
            "unit to keep colours consistent from loom to loom.</p>"
            "<p>For the weavers, the hope is simple. “If the export office works, my daughter may "
            "choose to stay at the loom,” said one, who has worked with the cooperative for "
            "twenty-six years.</p>"
        ),
    },
    {
        "slug": "relief-convoys-reach-river-towns-as-roads-reopen",
        "headline": "Relief convoys reach river towns as flood roads reopen",
        "dek": (
            "Aid agencies in northern Kelland delivered food, water filters and medicine to "
            "towns cut off for a week."
        ),
        "section": "world",
        "authors": ["ines-marlowe"],
        "status": Article.Status.PUBLISHED,
        "publish_at": -timedelta(days=18, hours=9),
        "body": (
            "<p>The first relief convoys in more than a week have reached towns along the upper "
            "Drenna river in northern Kelland, after engineers reopened the main valley road, "
            "which had been blocked by landslides during heavy rain.</p>"
            "<p>Twenty-two lorries carried food parcels, water filters, blankets and medical "
            "supplies to four towns where an estimated 30,000 people had been cut off. Kelland’s "
            "emergency management agency said helicopters had dropped supplies during the "
            "closure but could not carry enough to meet demand.</p>"
            "<p>“The priority now is clean water,” said Oskar Lind, who coordinates the relief "
            "effort for the agency. “Wells have been flooded and the treatment plant in the "
            "largest town is still under repair. Filters and chlorine tablets are going out "
            "first.”</p>"
            "<p>Health workers said they had treated dozens of people for minor injuries and "
            "stomach infections but had seen no sign of a wider outbreak. Mobile clinics will "
            "remain in the valley for at least a month.</p>"
            "<p>The government has promised compensation for families whose homes were damaged "
            "and said it would publish an assessment of the road’s weak points. Neighbouring "
            "Estrava sent two engineering teams and a water purification unit, the first joint "
            "emergency operation between the two countries in several years.</p>"
            "<p>Forecasters expect drier weather over the coming week, which should allow repairs "
            "to continue.</p>"
        ),
    },
]

# Username, group (created with its permissions by the articles migrations) and the byline the
# login writes under, if any.
ACCOUNTS = [
    ("editor", "Editors", None),
    ("moderator", "Moderators", None),
    ("writer", "Writers", "arjun-sethi"),
]
ROLE_NAMES = sorted({group for _, group, _ in ACCOUNTS})


def load(*, now):
    """Create or update the demo sections, bylines and articles; say what was loaded."""
    sections = load_sections()
    authors = load_authors()
    articles = load_articles(sections, authors, now=now)
    return f"{len(sections)} sections, {len(authors)} authors, {len(articles)} articles"


def load_sections():
    """Create or update the demo sections; return them by slug."""
    return {
        entry["slug"]: Section.objects.update_or_create(slug=entry["slug"], defaults=entry)[0]
        for entry in SECTIONS
    }


def load_authors():
    """Create or update the demo bylines; return them by slug."""
    return {
        entry["slug"]: Author.objects.update_or_create(slug=entry["slug"], defaults=entry)[0]
        for entry in AUTHORS
    }


def load_articles(sections, authors, *, now):
    """Create or update the demo articles and replace their bylines; return the articles."""
    articles = []
    for entry in ARTICLES:
        publish_at = entry["publish_at"]
        if isinstance(publish_at, timedelta):
            publish_at = now + publish_at
        # update_or_create() saves through Article.save(), so the body is sanitized as usual.
        article, _ = Article.objects.update_or_create(
            slug=entry["slug"],
            defaults={
                "headline": entry["headline"],
                "dek": entry["dek"],
                "body": entry["body"],
                "section": sections[entry["section"]],
                "status": entry["status"],
                "publish_at": publish_at,
            },
        )
        article.bylines.all().delete()
        ArticleAuthor.objects.bulk_create(
            ArticleAuthor(article=article, author=authors[slug], order=order)
            for order, slug in enumerate(entry["authors"])
        )
        articles.append(article)
    return articles


def load_accounts():
    """Give the demo staff logins new random passwords and their roles; return the logins.

    Each login is a (username, password) pair; the writer also gets the demo byline it writes
    under.
    """
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_NAMES)}
    missing = set(ROLE_NAMES) - set(groups)
    if missing:
        raise CommandError(
            f"The {', '.join(sorted(missing))} group(s) are missing; run `manage.py migrate`."
        )

    user_model = get_user_model()
    logins = []
    for username, group_name, author_slug in ACCOUNTS:
        user, _ = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_active = True
        user.is_staff = True
        user.is_superuser = False
        user.save()
        user.groups.set([groups[group_name]])
        if author_slug:
            Author.objects.filter(user=user).exclude(slug=author_slug).update(user=None)
            author = Author.objects.get(slug=author_slug)
            author.user = user
            author.save(update_fields=["user"])
        logins.append((username, password))
    return logins
